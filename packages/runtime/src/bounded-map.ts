/**
 * A Map of at most `limit` entries: a new key set when it is full forgets the oldest one. What a
 * process keeps per show, token or session stays bounded whatever the traffic brings.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.limit && !this.has(key)) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
