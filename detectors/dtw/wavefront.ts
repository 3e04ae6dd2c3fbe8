/**
 * The DTW recurrence swept by anti-diagonals in WebAssembly SIMD, two cells per instruction.
 *
 * Row by row, every cell waits for its left neighbour, and the minimum of three numbers is a
 * data-dependent branch; on noisy series the processor mispredicts it often. On an
 * anti-diagonal (i + j constant) no cell depends on another, so two of them go through one
 * `f64x2.pmin` (a branch-free minimum) at a time. Same recurrence, same additions in the same
 * order, so the distances are bit-for-bit those of the row kernels.
 *
 * The whole sweep runs inside one WebAssembly call (a call per diagonal would cost more than
 * the diagonal). The module is assembled here from its opcodes (under a kilobyte; no build
 * step), compiled once, and instantiated per call, so no memory outlives a call. Used for large matrices
 * without early abandoning; `available()` is false where WebAssembly SIMD is missing, and the
 * caller then keeps the row kernels.
 *
 * Memory layout of one call (doubles): a (n + 2), reversed b (m + 2), three diagonals (n + 3
 * each). Diagonal s stores cell (i, s − i) at index i + 1; index 0 and the index just past a
 * diagonal's last cell hold Infinity, which makes cells outside the matrix or the band
 * unreachable without tests in the loop.
 */

const I32 = 0x7f;
const V128 = 0x7b;

function unsigned(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function signed(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...unsigned(body.length), ...body];
const vector = (items: number[][]): number[] => [...unsigned(items.length), ...items.flat()];
const name = (text: string): number[] => [...unsigned(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
const simd = (opcode: number): number[] => [0xfd, ...unsigned(opcode)];
const load = (offset: number): number[] => [...simd(0x00), 3, ...unsigned(offset)];
const store = (offset: number): number[] => [...simd(0x0b), 3, ...unsigned(offset)];
const get = (index: number): number[] => [0x20, index];
const F64X2_ABS = 236;
const F64X2_ADD = 240;
const F64X2_SUB = 241;
const F64X2_MUL = 242;
const F64X2_PMIN = 246;

const F64_LOAD = 0x2b;
const F64_STORE = 0x39;
const INFINITY_BYTES = [0, 0, 0, 0, 0, 0, 0xf0, 0x7f];

// Parameters: n, m, band half-width, byte addresses of a, of reversed b, and of the diagonals
// s − 2, s − 1 and s when the sweep starts at s = 1. Locals follow.
const [N, M, W, A, RB, D2, D1, D0] = [0, 1, 2, 3, 4, 5, 6, 7];
const [S, FROM, TO, OFFSET, END, X, Y, SPARE, RBS, LAST, TEMP] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

const constant = (value: number): number[] => [0x41, ...signed(value)];
const set = (index: number): number[] => [0x21, index];
/** dst = max or min of two i32 expressions, each evaluated once. */
function extreme(kind: 'max' | 'min', destination: number, first: number[], second: number[]): number[] {
  const compare = kind === 'max' ? 0x4a : 0x48;
  return [...first, ...set(X), ...second, ...set(Y), ...get(X), ...get(Y), ...get(X), ...get(Y), compare, 0x1b, ...set(destination)];
}
const byteAddress = (base: number, index: number): number[] => [...get(base), ...get(index), ...constant(3), 0x74, 0x6a];
const storeInfinity = (offset: number): number[] => [0x44, ...INFINITY_BYTES, F64_STORE, 3, ...unsigned(offset)];

function kernel(squared: boolean): number[] {
  const address = (base: number): number[] => [...get(base), ...get(OFFSET), 0x6a];
  const cost = squared ? [0x22, TEMP, ...get(TEMP), ...simd(F64X2_MUL)] : simd(F64X2_ABS);
  const cells = [
    ...get(FROM), ...constant(3), 0x74, ...set(OFFSET),
    ...get(TO), ...constant(3), 0x74, ...set(END),
    0x02, 0x40, 0x03, 0x40,
    ...get(OFFSET), ...get(END), 0x4a, 0x0d, 1,
    ...address(D0),
    ...address(D2), ...load(0),
    ...address(D1), ...load(0),
    ...simd(F64X2_PMIN),
    ...address(D1), ...load(8),
    ...simd(F64X2_PMIN),
    ...address(A), ...load(0),
    ...address(RBS), ...load(0),
    ...simd(F64X2_SUB),
    ...cost,
    ...simd(F64X2_ADD),
    ...store(8),
    ...get(OFFSET), ...constant(16), 0x6a, ...set(OFFSET),
    0x0c, 0,
    0x0b, 0x0b,
  ];
  const emptyDiagonal = [
    ...extreme('max', OFFSET, get(TO), constant(0)),
    ...extreme('min', END, [...get(FROM), ...constant(3), 0x6a], [...get(N), ...constant(3), 0x6a]),
    0x02, 0x40, 0x03, 0x40,
    ...get(OFFSET), ...get(END), 0x4e, 0x0d, 1,
    ...byteAddress(D0, OFFSET), ...storeInfinity(0),
    ...get(OFFSET), ...constant(1), 0x6a, ...set(OFFSET),
    0x0c, 0,
    0x0b, 0x0b,
  ];
  const body = [
    ...get(N), ...get(M), 0x6a, ...constant(2), 0x6b, ...set(LAST),
    ...constant(1), ...set(S),
    0x02, 0x40, 0x03, 0x40,
    ...get(S), ...get(LAST), 0x4a, 0x0d, 1,
    ...extreme('max', FROM, [...get(S), ...get(M), 0x6b, ...constant(1), 0x6a], constant(0)),
    ...extreme('max', FROM, [...get(S), ...get(W), 0x6b, ...constant(1), 0x6a, ...constant(1), 0x75], get(FROM)),
    ...extreme('min', TO, [...get(N), ...constant(1), 0x6b], get(S)),
    ...extreme('min', TO, [...get(S), ...get(W), 0x6a, ...constant(1), 0x75], get(TO)),
    ...get(RB), ...get(M), ...constant(1), 0x6b, ...get(S), 0x6b, ...constant(3), 0x74, 0x6a, ...set(RBS),
    ...get(FROM), ...get(TO), 0x4c,
    0x04, 0x40,
    ...byteAddress(D0, FROM), ...storeInfinity(0),
    ...cells,
    ...byteAddress(D0, TO), ...storeInfinity(16),
    0x05,
    ...emptyDiagonal,
    0x0b,
    ...get(D2), ...set(SPARE), ...get(D1), ...set(D2), ...get(D0), ...set(D1), ...get(SPARE), ...set(D0),
    ...get(S), ...constant(1), 0x6a, ...set(S),
    0x0c, 0,
    0x0b, 0x0b,
    ...byteAddress(D1, N), F64_LOAD, 3, 0,
    0x0b,
  ];
  const locals = vector([[10, I32], [1, V128]]);
  const code = [...locals, ...body];
  return [...unsigned(code.length), ...code];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const functionType = [0x60, ...vector(Array.from({ length: 8 }, () => [I32])), ...vector([[0x7c]])];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([functionType])),
    ...section(3, vector([[0], [0]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name('absolute'), 0x00, 0], [...name('squared'), 0x00, 1]])),
    ...section(10, vector([kernel(false), kernel(true)])),
  ];
  return new Uint8Array(bytes);
}

type Sweep = (n: number, m: number, window: number, a: number, rb: number, d2: number, d1: number, d0: number) => number;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module (immutable, so caching it keeps calls pure), or null without SIMD. */
function compiledModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = moduleBytes();
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Whether the SIMD kernel can run here. */
export function available(): boolean {
  return compiledModule() !== null;
}

/**
 * DTW distance of `a` and `b` under a Sakoe–Chiba band of half-width `window` (already widened
 * to |n − m|; at least max(n, m) means unconstrained), or `null` when WebAssembly SIMD is not
 * available. Inputs must be non-empty and free of NaN. O(n · window) time, O(n + m) memory.
 */
export function wavefrontDistance(a: Float64Array, b: Float64Array, window: number, squared: boolean): number | null {
  const compiledKernel = compiledModule();
  if (compiledKernel === null) return null;
  const n = a.length;
  const m = b.length;
  const w = Math.min(window, Math.max(n, m));
  const aBase = 0;
  const rbBase = aBase + (n + 2) * 8;
  const diagonalBytes = (n + 3) * 8;
  const firstDiagonal = rbBase + (m + 2) * 8;
  const totalBytes = firstDiagonal + 3 * diagonalBytes;
  const instance = new WebAssembly.Instance(compiledKernel);
  const memory = instance.exports.memory as WebAssembly.Memory;
  const pages = Math.ceil(totalBytes / 65536);
  if (pages > 1) memory.grow(pages - 1);
  const sweep = instance.exports[squared ? 'squared' : 'absolute'] as Sweep;
  const heap = new Float64Array(memory.buffer);
  heap.set(a, aBase / 8);
  for (let j = 0; j < m; j++) heap[rbBase / 8 + j] = b[m - 1 - j];
  heap.fill(Infinity, firstDiagonal / 8, totalBytes / 8);
  const d = a[0] - b[0];
  const corner = squared ? d * d : Math.abs(d);
  if (n === 1 && m === 1) return corner;
  // Diagonal 0 is the corner alone; the sweep starts at diagonal 1.
  const d2 = firstDiagonal;
  const d1 = firstDiagonal + diagonalBytes;
  const d0 = firstDiagonal + 2 * diagonalBytes;
  heap[d1 / 8 + 1] = corner;
  return sweep(n, m, w, aBase, rbBase, d2, d1, d0);
}
