// The demo's terminal view: one line per submission and evaluation, and a summary with the
// leaderboard once every expected gradient has been evaluated.

export interface EvaluatedEvent {
  modelId: number;
  gradientId: number;
  accepted: boolean;
  score: number;
  reward: bigint;
  reason?: string;
}

export class Progress {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly owners = new Map<number, string>();
  private readonly gradientOwner = new Map<number, number>();
  private readonly submittedBy = new Map<number, number>();
  private readonly earned = new Map<number, bigint>();
  private readonly accepted = new Map<number, number>();
  private evaluations = 0;
  private best: number;
  private readonly opts: { out: (s: string) => void; initial: number; target: number; expected: number; amount: (wei: bigint) => string };

  constructor(opts: { out: (s: string) => void; initial: number; target: number; expected: number; amount: (wei: bigint) => string }) {
    this.opts = opts;
    this.best = opts.initial;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  owner(i: number, address: string): void {
    this.owners.set(i, address);
  }

  submitted(owner: number, gradientId: number): void {
    this.gradientOwner.set(gradientId, owner);
    const n = (this.submittedBy.get(owner) ?? 0) + 1;
    this.submittedBy.set(owner, n);
    this.opts.out(`  owner ${owner} submitted gradient #${gradientId} (round ${n})`);
  }

  evaluated(e: EvaluatedEvent): void {
    this.evaluations++;
    const owner = this.gradientOwner.get(e.gradientId);
    if (owner !== undefined) {
      this.earned.set(owner, (this.earned.get(owner) ?? 0n) + e.reward);
      if (e.accepted) this.accepted.set(owner, (this.accepted.get(owner) ?? 0) + 1);
    }
    if (e.accepted && e.score > this.best) this.best = e.score;
    const auc = (s: number) => (s / 1e6).toFixed(4);
    const pct = Math.max(0, Math.min(100, ((this.best - this.opts.initial) / (this.opts.target - this.opts.initial)) * 100));
    const verdict = e.accepted ? `accepted, reward ${this.opts.amount(e.reward)}` : `rejected${e.reason ? ` (${e.reason})` : ''}`;
    this.opts.out(
      `  gradient #${e.gradientId}${owner !== undefined ? ` from owner ${owner}` : ''}: AUC ${auc(e.score)} ${verdict}; best ${auc(this.best)} / target ${auc(this.opts.target)} (${pct.toFixed(0)}%) [${this.evaluations}/${this.opts.expected}]`,
    );
    if (this.evaluations >= this.opts.expected || this.best >= this.opts.target) this.resolveDone();
  }

  /** the run's outcome for --json */
  result(): { bestScore: number; targetScore: number; evaluations: number; owners: { owner: number; address: string; earned: string; accepted: number; submitted: number }[] } {
    return {
      bestScore: this.best,
      targetScore: this.opts.target,
      evaluations: this.evaluations,
      owners: [...this.owners.entries()].map(([i, address]) => ({ owner: i, address, earned: (this.earned.get(i) ?? 0n).toString(), accepted: this.accepted.get(i) ?? 0, submitted: this.submittedBy.get(i) ?? 0 })),
    };
  }

  summary(): string {
    const amount = this.opts.amount;
    const rows = [...this.owners.entries()]
      .map(([i, address]) => ({ i, address, earned: this.earned.get(i) ?? 0n, accepted: this.accepted.get(i) ?? 0, submitted: this.submittedBy.get(i) ?? 0 }))
      .sort((a, b) => (b.earned > a.earned ? 1 : b.earned < a.earned ? -1 : a.i - b.i));
    return [
      `done        best AUC ${(this.best / 1e6).toFixed(4)} (target ${(this.opts.target / 1e6).toFixed(4)}), ${this.evaluations} gradients evaluated`,
      'leaderboard',
      ...rows.map((r, k) => `  ${k + 1}. owner ${r.i} ${r.address}  ${amount(r.earned)}  (${r.accepted}/${r.submitted} accepted)`),
    ].join('\n');
  }
}
