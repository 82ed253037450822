/**
 * A crowd's command line (the burst's, chaos's): `--option value` pairs over a preset, every
 * option one the tool knows, numbers in their range, and the seats a visitor takes.
 */
export function readOptions(
  argv: string[],
  presets: Record<string, Record<string, string>>,
  known: string[],
  usage: string,
) {
  const given: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (!m || argv[i + 1] === undefined) throw new Error(`${argv[i]}: expected --option value\n${usage}`);
    given[m[1]] = argv[++i];
  }
  const preset = given.preset ?? 'full';
  if (!presets[preset]) throw new Error(`--preset must be one of ${Object.keys(presets).join(', ')}`);
  const o: Record<string, string | undefined> = { ...presets[preset], ...given };
  const knownSet = new Set(['preset', ...known]);
  for (const k of Object.keys(o)) if (!knownSet.has(k)) throw new Error(`unknown option --${k}\n${usage}`);
  const num = (k: string, fallback: number, min: number, max: number) => {
    const v = o[k] === undefined ? fallback : Number(o[k]);
    if (!Number.isFinite(v) || v < min || v > max)
      throw new Error(`--${k} must be a number from ${min} to ${max}, got ${o[k]}`);
    return v;
  };
  const seats = (o.seats ?? '1-4').split('-').map(Number);
  if (seats.length !== 2 || !(seats[0] >= 1 && seats[1] >= seats[0] && seats[1] <= 6))
    throw new Error(`--seats must be MIN-MAX within 1-6, got ${o.seats}`);
  return { given, preset, o, num, seats: seats as [number, number] };
}
