import { newTicketCode, TICKET_CODE_ALPHABET } from '../src/tickets';

/** A code read aloud at the door or typed from a phone: no two characters that look alike. */
describe('a ticket code', () => {
  it('has ten characters, none of them 0/O or 1/I, and uses every other letter and digit alike', () => {
    expect(TICKET_CODE_ALPHABET).toHaveLength(32);
    expect(TICKET_CODE_ALPHABET).not.toMatch(/[01IO]/);
    const codes = Array.from({ length: 2_000 }, () => newTicketCode());
    for (const code of codes) expect(code).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
    const seen = new Map<string, number>();
    for (const c of codes.join('')) seen.set(c, (seen.get(c) ?? 0) + 1);
    expect(seen.size).toBe(32);
    // 20,000 characters over 32: about 625 each; a skewed draw would show far off it.
    for (const n of seen.values()) expect(Math.abs(n - 625)).toBeLessThan(150);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
