// The demo's terminal view: one line per commit, reveal and verdict (and any refusal by an owner's
// safety policy), and a summary with the leaderboard once every expected gradient is settled.

export interface EvaluatedEvent {
  modelId: number;
  gradientId: number;
  /** Accepted; Declined (valid, no improvement: stake returned); Rejected (invalid or a copy: stake forfeited) */
  verdict: 'Accepted' | 'Rejected' | 'Declined';
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
  private readonly forfeited = new Map<number, number>();
  private evaluations = 0;
  private lapses = 0;
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

  /** step one: only the seal is public, so nobody can copy the gradient ahead of it */
  committed(owner: number, gradientId: number, stake: bigint): void {
    this.gradientOwner.set(gradientId, owner);
    this.opts.out(`  owner ${owner} committed gradient #${gradientId}: a sealed hash and a ${this.opts.amount(stake)} stake; its place in line is fixed`);
  }

  /** step two: the CID and data commitment, checked on-chain against the seal */
  submitted(owner: number, gradientId: number): void {
    this.gradientOwner.set(gradientId, owner);
    const n = (this.submittedBy.get(owner) ?? 0) + 1;
    this.submittedBy.set(owner, n);
    this.opts.out(`  owner ${owner} revealed gradient #${gradientId} (round ${n}): the evaluator may fetch it now`);
  }

  /** a commit that was not revealed in time: its stake is lost and it will not be evaluated */
  lapsed(owner: number, gradientId: number, reason: string): void {
    this.forfeited.set(owner, (this.forfeited.get(owner) ?? 0) + 1);
    this.lapses++;
    this.opts.out(`  owner ${owner}'s gradient #${gradientId} lapsed (${reason}): stake forfeited`);
    this.settle();
  }

  refused(owner: number, modelId: number, rule: string, reason: string): void {
    this.opts.out(`  owner ${owner} refuses model #${modelId} (policy rule ${rule}: ${reason})`);
  }

  evaluated(e: EvaluatedEvent): void {
    this.evaluations++;
    const owner = this.gradientOwner.get(e.gradientId);
    if (owner !== undefined) {
      this.earned.set(owner, (this.earned.get(owner) ?? 0n) + e.reward);
      if (e.accepted) this.accepted.set(owner, (this.accepted.get(owner) ?? 0) + 1);
      if (e.verdict === 'Rejected') this.forfeited.set(owner, (this.forfeited.get(owner) ?? 0) + 1);
    }
    if (e.accepted && e.score > this.best) this.best = e.score;
    const auc = (s: number) => (s / 1e6).toFixed(4);
    const pct = Math.max(0, Math.min(100, ((this.best - this.opts.initial) / (this.opts.target - this.opts.initial)) * 100));
    const why = e.reason ? ` (${e.reason})` : '';
    const verdict =
      e.verdict === 'Accepted' ? `accepted, reward ${this.opts.amount(e.reward)} + stake back`
      : e.verdict === 'Declined' ? `declined${why}, stake back`
      : `rejected${why}, stake forfeited`;
    this.opts.out(
      `  gradient #${e.gradientId}${owner !== undefined ? ` from owner ${owner}` : ''}: AUC ${auc(e.score)} ${verdict}; best ${auc(this.best)} / target ${auc(this.opts.target)} (${pct.toFixed(0)}%) [${this.evaluations}/${this.opts.expected}]`,
    );
    this.settle();
  }

  /** every expected gradient evaluated or lapsed, or the target reached */
  private settle(): void {
    if (this.evaluations + this.lapses >= this.opts.expected || this.best >= this.opts.target) this.resolveDone();
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
      .map(([i, address]) => ({ i, address, earned: this.earned.get(i) ?? 0n, accepted: this.accepted.get(i) ?? 0, submitted: this.submittedBy.get(i) ?? 0, forfeited: this.forfeited.get(i) ?? 0 }))
      .sort((a, b) => (b.earned > a.earned ? 1 : b.earned < a.earned ? -1 : a.i - b.i));
    return [
      `done        best AUC ${(this.best / 1e6).toFixed(4)} (target ${(this.opts.target / 1e6).toFixed(4)}), ${this.evaluations} gradients evaluated`,
      'leaderboard',
      ...rows.map((r, k) => `  ${k + 1}. owner ${r.i} ${r.address}  ${amount(r.earned)}  (${r.accepted}/${r.submitted} accepted, ${r.forfeited ? `${r.forfeited} stake(s) forfeited` : 'no stake lost'})`),
    ].join('\n');
  }
}
