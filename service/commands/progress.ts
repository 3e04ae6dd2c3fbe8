/**
 * A progress bar on standard error (so `--json` output stays clean): redrawn in place on a
 * terminal, a line per 10 % otherwise (CI logs).
 */
export function progressBar(label: string, total: number): { update: (done: number) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let lastTenth = -1;
  const render = (done: number) => {
    const fraction = total === 0 ? 1 : done / total;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s eta ${eta.toFixed(0)} s`;
  };
  return {
    update(done: number) {
      if (tty) process.stderr.write(`\r${render(done)}`);
      else {
        const tenth = Math.floor((done / Math.max(1, total)) * 10);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          process.stderr.write(`${render(done)}\n`);
        }
      }
    },
    done() {
      if (tty) process.stderr.write(`\r${render(total)}\n`);
    },
  };
}
