import Boom from '@hapi/boom';
import {
  admissionExpired,
  showAvailabilityChanged,
  visitorsAdmitted,
  visitorsWaiting,
  type ShowListing,
  sessionHash,
  TokenSigner,
  type TokenClaims,
} from '@premiere/contracts';
import type { FunctionContext } from '@premiere/runtime';
import { BoundedMap, Counter } from '@premiere/runtime';
import {
  Assumptions,
  describeWait,
  ensureRoom,
  estimateWait,
  nextPollMs,
  waitBasis,
  recordReturned,
  ShowQueue,
  ShowSnapshots,
  TokenLedger,
  type JoinLimit,
  type JoinLimits,
  type Reclaimable,
  type VisitorStatus,
} from '@premiere/waiting-room';
import { Alternatives, type Alternative } from './alternatives';
import type { IssueTokenEnv } from './env';

type Ctx = FunctionContext<IssueTokenEnv>;

/** What a visitor is told about their place: the same for the JSON API and the HTML pages. */
export interface PublicStatus {
  showId: string;
  /** pre_queue (sales not open: a place is drawn when they open), waiting, admitted, expired, left, finished, sold_out. */
  state: 'pre_queue' | 'waiting' | 'admitted' | 'expired' | 'left' | 'finished' | 'sold_out';
  place: number | null;
  ahead: number | null;
  /** People in line (not counting the pre-queue). */
  waiting: number;
  /**
   * Waiting: `estimated` (estimatedWaitSeconds and estimate say how long) or `paused` (admissions
   * are paused: no wait can be told, the place is kept); null in every other state.
   */
  estimateState: 'estimated' | 'paused' | null;
  estimatedWaitSeconds: number | null;
  estimate: string | null;
  /** When to ask again (the interval grows with the distance to the front); null: no need. */
  pollAfterMs: number | null;
  salesOpenAt: string | null;
  admissionsPaused: boolean;
  /** A new queue token carrying the place drawn when sales opened: use it from now on. */
  token?: string;
  /** Admitted: the access token for the protected zone, where to use it, and until when. */
  accessToken?: string;
  enterUrl?: string;
  admissionDeadline?: string;
  /** Sold out while they waited: other shows of the movie with tickets, as a refused join lists them. */
  alternatives?: Alternative[];
  message: string;
}

export type JoinResult =
  | { kind: 'joined'; created: boolean; token: string; visitor: number; status: PublicStatus }
  | { kind: 'sold_out' | 'drained' | 'started'; alternatives: Alternative[] }
  | { kind: 'unknown_show' }
  /** The show's room was rebuilt after Redis forgot it, and its tokens are being counted. */
  | { kind: 'recovering'; retryAfterSeconds: number }
  | { kind: 'rate_limited'; retryAfterSeconds: number; scope: JoinLimit; limit: number };

/**
 * How long a visitor refused for their address's share is asked to wait: no window ends, a token
 * frees when one of the address's visitors leaves or ends their visit, which takes minutes.
 */
export const ADDRESS_TOKENS_RETRY_SECONDS = 60;

const NUDGE_EVERY_MS = 250;

/** issue-token's side of the waiting room: joining, status, leaving. */
export class WaitingRoom {
  readonly signer: TokenSigner;
  private readonly alternatives: Alternatives;
  private readonly lastNudge = new BoundedMap<string, number>(10_000);
  private readonly metrics;
  private readonly snapshots: ShowSnapshots;
  /** What a line with nothing of its own measured assumes: the operators' figures where set, else the deployment's. */
  private readonly assumptions: Assumptions;
  private readonly ledger: TokenLedger;

  constructor(private readonly ctx: Ctx) {
    this.signer = new TokenSigner(ctx.config.TOKEN_SIGNING_KEYS as unknown as Record<string, string>);
    this.alternatives = new Alternatives(ctx.db, ctx.redis);
    this.assumptions = new Assumptions(ctx.redis, ctx.config);
    this.snapshots = new ShowSnapshots(ctx.redis, ctx.config.STATUS_SNAPSHOT_MS, {
      assumptions: this.assumptions,
      goneAfterMs: this.goneAfterMs,
    });
    this.ledger = new TokenLedger(ctx.db);
    const registers = [ctx.metrics.registry];
    this.metrics = {
      tokens: new Counter({
        name: 'premiere_tokens_issued_total',
        help: 'Waiting-room tokens issued, by show',
        labelNames: ['show'] as const,
        registers,
      }),
      soldOut: new Counter({
        name: 'premiere_sold_out_answers_total',
        help: 'Joins refused because the show issues no more tokens, by show and reason (sold_out, drained, started)',
        labelNames: ['show', 'reason'] as const,
        registers,
      }),
      polls: new Counter({
        name: 'premiere_status_polls_total',
        help: 'Status polls, by the state answered',
        labelNames: ['state'] as const,
        registers,
      }),
      limited: new Counter({
        name: 'premiere_joins_rate_limited_total',
        help: 'Joins refused by a limit, by scope: address, session (joins per window), address_tokens (the live tokens one address may hold), address_new_tokens (new tokens per address per window)',
        labelNames: ['scope'] as const,
        registers,
      }),
      returned: new Counter({
        name: 'premiere_tokens_returned_total',
        help: 'Waiting-room tokens given back to their show’s quota, by show and why (here: left, the visitor gave up)',
        labelNames: ['show', 'reason'] as const,
        registers,
      }),
    };
  }

  // Label lookups hash their values on every call; the hot paths keep their children.
  private readonly tokenCounters = new BoundedMap<string, { inc(): void }>(10_000);
  private tokensIssued(showId: string) {
    let c = this.tokenCounters.get(showId);
    if (!c) {
      this.tokenCounters.set(showId, (c = this.metrics.tokens.labels(showId)));
    }
    return c;
  }
  private readonly pollCounters = new Map<string, { inc(): void }>();
  private pollsAnswered(state: string) {
    let c = this.pollCounters.get(state);
    if (!c) this.pollCounters.set(state, (c = this.metrics.polls.labels(state)));
    return c;
  }

  private get admissionTtlMs() {
    return this.ctx.config.ADMISSION_TTL_SECONDS * 1000;
  }

  private get goneAfterMs() {
    return this.ctx.config.GONE_AFTER_SECONDS * 1000;
  }

  private get limits(): JoinLimits {
    const c = this.ctx.config;
    return {
      perAddress: c.JOIN_RATE_PER_ADDRESS,
      perSession: c.JOIN_RATE_PER_SESSION,
      windowMs: c.JOIN_RATE_WINDOW_SECONDS * 1000,
      newTokensPerAddress: c.ADDRESS_NEW_TOKEN_RATE,
      addressTokenCap: { min: c.ADDRESS_TOKEN_CAP_MIN, share: c.ADDRESS_TOKEN_CAP_SHARE },
    };
  }

  /**
   * Joins the session to the show's waiting room: a new token, or the one it already has.
   * `clientAddress`: the address as the limits count it (see addressKey).
   */
  async join(showId: string, session: string, clientAddress: string, heldToken?: string): Promise<JoinResult> {
    const ses = sessionHash(session);
    const held = heldToken && this.heldClaims(showId, session, heldToken);
    if (held) {
      // A browser joining again with the token its cookie kept: their place, even if Redis forgot it.
      const status = await this.status(showId, held);
      if (status.state === 'waiting' || status.state === 'admitted' || status.state === 'pre_queue') {
        const token = status.token ?? heldToken;
        return {
          kind: 'joined',
          created: false,
          token,
          visitor: this.signer.verify(token, { typ: 'queue', show: showId, session }).vid,
          status,
        };
      }
    }
    const queue = ShowQueue.of(this.ctx.redis, showId);
    const assumed = await this.assumptions.get();
    const joinLine = () =>
      queue.join(ses, clientAddress, this.admissionTtlMs, this.goneAfterMs, this.limits, this.ledger, assumed);
    let joined = await joinLine();
    if (joined.outcome === 'no_room') {
      if (!(await ensureRoom(this.ctx.redis, this.ctx.db, showId, this.ctx.config))) return { kind: 'unknown_show' };
      joined = await joinLine();
    }
    if (joined.outcome === 'no_room') return { kind: 'unknown_show' };
    if (joined.outcome === 'recovering')
      return { kind: 'recovering', retryAfterSeconds: Math.ceil(joined.retryAfterMs / 1000) };
    if (joined.outcome === 'rate_limited') {
      this.reclaim(showId, joined.reclaimable);
      this.metrics.limited.labels(joined.scope).inc();
      const retryAfterSeconds =
        joined.retryAfterMs === null
          ? ADDRESS_TOKENS_RETRY_SECONDS
          : Math.max(1, Math.ceil(joined.retryAfterMs / 1000));
      return { kind: 'rate_limited', scope: joined.scope, retryAfterSeconds, limit: joined.limit };
    }
    if (joined.outcome !== 'new' && joined.outcome !== 'existing') {
      if (joined.outcome === 'sold_out') this.reclaim(showId, joined.reclaimable);
      this.metrics.soldOut.labels(showId, joined.outcome).inc();
      return { kind: joined.outcome, alternatives: await this.alternatives.for(showId) };
    }

    const claims: TokenClaims = {
      typ: 'queue',
      show: showId,
      vid: joined.visitor,
      place: joined.place,
      ses,
      iat: Math.floor(joined.joinedAt / 1000),
      exp: Math.floor(joined.showStartsAt / 1000),
    };
    const token = this.signer.sign(claims);
    if (joined.outcome === 'existing') {
      return {
        kind: 'joined',
        created: false,
        token,
        visitor: joined.visitor,
        status: await this.status(showId, claims),
      };
    }

    this.tokensIssued(showId).inc();
    if (joined.crossed || joined.state === 'admitted')
      await this.announce(showId, joined.crossed, joined.state === 'admitted' ? joined.place : null);
    const now = Date.now();
    // The line as the show's snapshot has it (at most STATUS_SNAPSHOT_MS old): the zone the wait is
    // estimated from, a pause, who stopped polling. A joiner let in at once needs none of it.
    const line = joined.state === 'waiting' ? await this.snapshots.line(showId).catch(() => null) : null;
    const status = this.describe(showId, claims, {
      state: joined.state,
      place: joined.place,
      ahead: joined.ahead,
      waiting: joined.state === 'waiting' ? joined.ahead + 1 : 0,
      preQueue: joined.state === 'pre' ? joined.ahead + 1 : 0,
      paceMs: joined.paceMs,
      capacity: joined.capacity,
      inside: line?.inside ?? 0,
      deadline: joined.state === 'admitted' ? now + this.admissionTtlMs : null,
      availability: 'available',
      salesOpenAt: joined.salesOpenAt,
      salesOpened: joined.state !== 'pre',
      paused: line?.paused ?? false,
      earliestLease: line?.earliestLease ?? null,
      seatsSoldOut: false,
      buyersLeft: joined.buyersLeft,
      now,
      basis:
        line?.basis ??
        waitBasis({
          zone: [],
          capacity: joined.capacity,
          measuredVisitMs: joined.paceMs * joined.capacity,
          assumedVisitMs: assumed.visitMs,
          paused: false,
          now,
        }),
      stoppedAhead: joined.place === null || !line ? 0 : line.stale.filter((p) => p < joined.place!).length,
    });
    // Joined behind nobody while the zone is full: the bouncer admits when a slot frees, no nudge.
    return { kind: 'joined', created: true, token, visitor: joined.visitor, status };
  }

  /** The claims of a queue token of this show and session that is still valid, else null. */
  heldClaims(showId: string, session: string, token: string): TokenClaims | null {
    try {
      return this.signer.verify(token, { typ: 'queue', show: showId, session });
    } catch {
      return null;
    }
  }

  /**
   * A token holder's status (the claims were verified by the caller): from the show's snapshot in
   * this process's memory when it can tell, else from Redis.
   */
  status(showId: string, claims: TokenClaims): PublicStatus | Promise<PublicStatus> {
    const fromSnapshot = this.snapshots.status(showId, claims.vid, claims.place, claims.ses);
    // Nearly every poll: a fresh snapshot that can tell, answered without a promise.
    if (fromSnapshot !== null && !(fromSnapshot instanceof Promise))
      return this.withAlternatives(this.answer(showId, claims, fromSnapshot));
    return this.statusFromRedis(showId, claims, fromSnapshot).then((status) => this.withAlternatives(status));
  }

  /**
   * A line that sold out ends with where else the movie has seats (once per visitor: they stop
   * polling). Should the catalog not answer, sold out with none listed: an error would leave the
   * whole line reading "reconnecting".
   */
  private withAlternatives(status: PublicStatus): PublicStatus | Promise<PublicStatus> {
    if (status.state !== 'sold_out') return status;
    return this.alternatives.for(status.showId).then(
      (alternatives) => ({ ...status, alternatives }),
      (err: Error) => {
        this.ctx.log.warn(
          { showId: status.showId, err: err.message },
          'sold out while waiting: the other shows could not be looked up; none listed',
        );
        return { ...status, alternatives: [] };
      },
    );
  }

  private async statusFromRedis(
    showId: string,
    claims: TokenClaims,
    fromSnapshot: Promise<VisitorStatus | null> | null,
  ): Promise<PublicStatus> {
    const queue = ShowQueue.of(this.ctx.redis, showId);
    let s = (await fromSnapshot) ?? (await queue.status(claims.vid, claims.ses, await this.assumptions.get()));
    let renewed = false;
    if ((s.state === 'unknown' || s.state === 'no_room') && claims.exp > 0) {
      // Redis forgot them (or their show): back where their signed token says, never "expired".
      if (s.state === 'no_room') await ensureRoom(this.ctx.redis, this.ctx.db, showId, this.ctx.config);
      const back = await queue.reinstate(
        claims.vid,
        claims.ses,
        claims.place,
        { state: 'waiting' },
        claims.iat * 1000,
        this.ledger,
      );
      if (back.visitor !== claims.vid || back.place !== claims.place) {
        claims = { ...claims, vid: back.visitor, place: back.place };
        renewed = true;
      }
      s = await queue.status(claims.vid, claims.ses, await this.assumptions.get());
    }
    if (s.state === 'unknown' || s.state === 'no_room') {
      // Not put back (the show's room could not be rebuilt just now): never "expired" for that.
      const refusal = Boom.serverUnavailable(
        'the waiting room is recovering from a fault; your place is kept: ask again in a moment',
      );
      refusal.output.headers['retry-after'] = '2';
      throw refusal;
    }
    if (s.state === 'pre' && s.salesOpenAt > 0 && !s.salesOpened && s.salesOpenAt <= s.now) {
      // The first poll after sales open draws the pre-queue's places; then the bouncer fills the zone.
      if ((await queue.openSales()) > 0) this.nudge(showId, visitorsWaiting, true);
      s = await queue.status(claims.vid, claims.ses, await this.assumptions.get());
    }
    return this.answer(showId, claims, s, renewed);
  }

  /** The answer to a poll, and the bouncer nudged if the poll shows it may have work. */
  private answer(showId: string, claims: TokenClaims, s: VisitorStatus, renewed = false): PublicStatus {
    if (s.state === 'waiting' && !s.paused) {
      if (s.earliestLease !== null && s.earliestLease <= s.now) this.nudge(showId, admissionExpired);
      else if (s.inside < s.capacity) this.nudge(showId, visitorsWaiting);
    }
    const status = this.describe(showId, claims, s, renewed);
    this.pollsAnswered(status.state).inc();
    return status;
  }

  /**
   * The visitor gives up; a slot they held in the zone goes to the next in line at once, and their
   * token back to the show's quota (a sold-out show goes back on sale: the catalog is told).
   */
  async leave(showId: string, claims: TokenClaims): Promise<string> {
    const { leftFrom, availability } = await ShowQueue.of(this.ctx.redis, showId).leave(claims.vid);
    if (leftFrom) {
      this.metrics.returned.labels(showId, 'left').inc();
      // Durably, so that a room rebuilt after Redis forgot it does not put them back in line.
      await recordReturned(this.ctx.db, showId, [{ visitor: claims.vid, session: claims.ses, reason: 'left' }]);
    }
    if (availability) await this.announce(showId, availability, null);
    if (leftFrom === 'admitted' || leftFrom === 'inside') this.nudge(showId, visitorsWaiting, true);
    return leftFrom;
  }

  /** `renewed`: the claims changed (a new number or place after Redis forgot): a new token goes with the answer. */
  private describe(showId: string, claims: TokenClaims, s: VisitorStatus, renewed = false): PublicStatus {
    const config = this.ctx.config;
    // One object literal, every field in the same order: spreading a base object costs more than
    // the rest of a status poll together.
    const answer = (
      state: PublicStatus['state'],
      message: string,
      waiting?: { ahead: number; eta: number | null; words: string | null; pollAfterMs: number },
      pollAfterMs: number | null = null,
    ): PublicStatus => ({
      showId,
      state,
      place: s.place,
      ahead: waiting ? waiting.ahead : null,
      waiting: s.waiting,
      estimateState: waiting ? (waiting.eta === null ? 'paused' : 'estimated') : null,
      estimatedWaitSeconds: waiting && waiting.eta !== null ? Math.round(waiting.eta / 1000) : null,
      estimate: waiting ? waiting.words : null,
      pollAfterMs: waiting ? waiting.pollAfterMs : pollAfterMs,
      salesOpenAt: s.salesOpenAt > 0 ? new Date(s.salesOpenAt).toISOString() : null,
      admissionsPaused: s.paused,
      // A pre-queue token learns its place once sales open.
      token:
        (renewed || (claims.place === null && s.place !== null)) && claims.exp > 0
          ? this.signer.sign({ ...claims, place: s.place })
          : undefined,
      message,
    });
    const waitingOrPre = s.state === 'waiting' || s.state === 'pre';
    if (waitingOrPre && s.seatsSoldOut)
      return answer('sold_out', 'Sorry: every seat of this show has been sold while you waited.');
    if (s.state === 'pre') {
      const untilOpen = Math.max(0, s.salesOpenAt - s.now);
      // Come back just after opening, spread over two seconds so the pre-queue does not arrive at once.
      const pollAfterMs =
        Math.round(Math.min(config.STATUS_POLL_MAX_SECONDS * 1000, untilOpen + Math.random() * 2_000)) || 1_000;
      return answer(
        'pre_queue',
        `Sales open at ${new Date(s.salesOpenAt).toISOString()}. Everyone here before then gets a place drawn at random when they open, so there is no need to hurry.`,
        undefined,
        pollAfterMs,
      );
    }
    if (s.state === 'waiting') {
      // Those ahead who stopped polling are passed over by the bouncer: they take no slot.
      const wait = estimateWait(s.basis, Math.max(0, s.ahead - s.stoppedAhead), s.buyersLeft, s.now);
      const pollAfterMs = nextPollMs(wait, config.STATUS_POLL_MAX_SECONDS * 1000);
      const place =
        s.ahead === 0 ? 'You are next.' : `${s.ahead} ${s.ahead === 1 ? 'person is' : 'people are'} ahead of you.`;
      if (wait.state === 'paused') {
        // No number: nobody is let in until an operator resumes, however short the line.
        return answer('waiting', `Admissions are paused for a moment; you keep your place. ${place}`, {
          ahead: s.ahead,
          eta: null,
          words: null,
          pollAfterMs,
        });
      }
      const words = describeWait(wait.ms);
      return answer('waiting', `${place} Estimated wait: ${words}.`, {
        ahead: s.ahead,
        eta: wait.ms,
        words,
        pollAfterMs,
      });
    }
    // Inside already (seat selection started, the slot's lease extended): a fresh access token,
    // should they need to come back in, never longer-lived than an admission.
    const deadline = s.deadline === null ? null : Math.min(s.deadline, s.now + this.admissionTtlMs);
    if ((s.state === 'admitted' || s.state === 'inside') && deadline !== null) {
      const accessToken = this.signer.sign({
        ...claims,
        typ: 'access',
        place: s.place,
        iat: Math.floor(s.now / 1000),
        exp: Math.floor(deadline / 1000),
      });
      const admitted = answer('admitted', 'It is your turn: choose your seats now.');
      admitted.accessToken = accessToken;
      admitted.enterUrl = `/checkout/${encodeURIComponent(showId)}?access=${accessToken}`;
      admitted.admissionDeadline = new Date(deadline).toISOString();
      return admitted;
    }
    if (s.state === 'done')
      return answer('finished', 'Your visit is over. Thank you! To buy more, join again: a new place at the back.');
    if (s.state === 'left' || s.state === 'gone')
      return answer('left', 'You left the line. Join again to get a new place at the back.');
    return answer('expired', 'Your turn came and went unused. Join again to get a new place at the back.');
  }

  /**
   * Through the outbox: the show's listing changed (its tokens ran low or out, or came back; the
   * value is already in Redis), and/or the joiner was admitted at once (a quiet room, so this
   * costs little).
   */
  private async announce(showId: string, availability: '' | ShowListing, admittedPlace: number | null): Promise<void> {
    await this.ctx.transaction(async (tx) => {
      if (availability) await tx.emit(showAvailabilityChanged.event({ showId, availability }));
      if (admittedPlace !== null) {
        await tx.emit(
          visitorsAdmitted.event({
            showId,
            count: 1,
            firstPlace: admittedPlace,
            lastPlace: admittedPlace,
            admittedAt: new Date().toISOString(),
          }),
        );
      }
    });
  }

  /**
   * A join was refused (sold out, or the address's share) while the bouncer has tokens to give
   * back (a lapsed admission or slot, the head of the line gone): sends it looking, so the show
   * (and the address) get them now, not at the next sweep. Nobody else may tell it: the holders
   * went quiet. Rate-limited like every nudge, so a burst of refusals sends a few.
   */
  private reclaim(showId: string, reclaimable: Reclaimable): void {
    if (reclaimable === 'lapsed') this.nudge(showId, admissionExpired);
    else if (reclaimable === 'gone') this.nudge(showId, visitorsWaiting);
  }

  /** Tells the bouncer there may be room; at most every NUDGE_EVERY_MS per show (unless urgent). */
  private nudge(showId: string, nudge: typeof visitorsWaiting | typeof admissionExpired, urgent = false): void {
    const now = Date.now();
    if (!urgent && now - (this.lastNudge.get(showId) ?? 0) < NUDGE_EVERY_MS) return;
    this.lastNudge.set(showId, now);
    this.ctx.nudge(nudge.event({ showId }));
  }
}
