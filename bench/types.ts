/** One line of `npm run bench`: callflow against the named peer, measured in the same run. */
export interface BenchResult {
  name: string;
  /** callflow's figure, in `unit`. */
  ours: number;
  /** The peer's figure, in `unit`, measured in the same run on the same input. */
  peer: number;
  peerName: string;
  unit: string;
  /** How many times better callflow is (ours / peer for rates; peer / ours for latencies). */
  ratio: number;
  notes?: string;
}
