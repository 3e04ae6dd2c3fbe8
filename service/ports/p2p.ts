/**
 * The P2P port: distributing a release's artifact to its hosts before batch 1 (what the seed
 * calls Dragonfly preheat), so that deploying a batch does not wait on a download. Implementations:
 * a Dragonfly manager preheat-job client, direct HTTP download through the agent (range resume,
 * sha256 check), and a local one for the demo. All pass `service/adapters/p2p/p2p.contract.ts`.
 */

export interface Artifact {
  url: string;
  /** `sha256:<64 hex>` */
  digest: string;
}

export type PreheatState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface PreheatProgress {
  /** Job id as the implementation knows it (a Dragonfly job id, or the idempotency key). */
  jobId: string;
  state: PreheatState;
  hostsTotal: number;
  hostsDone: number;
  failedHosts: string[];
  /** Why a job failed, in words. */
  message?: string;
}

export interface VerifyResult {
  host: string;
  ok: boolean;
  reason?: string;
}

export interface P2P {
  readonly name: string;
  /**
   * Starts (or, under a key seen before, finds) a preheat job for the artifact on the hosts and
   * returns its first progress report. Idempotent per `key`.
   */
  preheat(key: string, artifact: Artifact, hosts: string[]): Promise<PreheatProgress>;
  progress(jobId: string): Promise<PreheatProgress>;
  /** Checks that each host holds the artifact with the right digest. */
  verify(artifact: Artifact, hosts: string[]): Promise<VerifyResult[]>;
}
