import type { ServerRoute } from '@hapi/hapi';

/**
 * /favicon.ico, which every browser asks for on its first page: a 16×16 icon drawn here (the
 * header's near-black, a blue disc with a white play mark) rather than a binary in the repository.
 * The same bytes forever, so browsers and the edge keep it for a day.
 */
const SIZE = 16;

function pixel(x: number, y: number): [number, number, number, number] {
  const dx = x - 7.5;
  const dy = y - 7.5;
  const inDisc = dx * dx + dy * dy <= 6.5 * 6.5;
  // A right-pointing triangle in the disc's middle.
  const inPlay = x >= 6 && x <= 11 && Math.abs(dy) <= (11 - x) * 0.75 + 0.25;
  if (inDisc && inPlay) return [255, 255, 255, 255];
  if (inDisc) return [0x0a, 0x66, 0xc2, 255];
  return [0x14, 0x14, 0x14, 255];
}

/** An ICO holding one 32-bit BMP: the directory, the bitmap header, the pixels bottom-up (BGRA), an empty mask. */
export function faviconIco(): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const [r, g, b, a] = pixel(x, y);
      pixels.set([b, g, r, a], ((SIZE - 1 - y) * SIZE + x) * 4);
    }
  }
  const mask = Buffer.alloc(SIZE * 4); // 1 bit a pixel, rows padded to 4 bytes: all shown
  const bitmap = Buffer.alloc(40);
  bitmap.writeUInt32LE(40, 0);
  bitmap.writeInt32LE(SIZE, 4);
  bitmap.writeInt32LE(SIZE * 2, 8); // an icon's height counts the mask too
  bitmap.writeUInt16LE(1, 12);
  bitmap.writeUInt16LE(32, 14);
  bitmap.writeUInt32LE(pixels.length + mask.length, 20);
  const image = Buffer.concat([bitmap, pixels, mask]);
  const head = Buffer.alloc(6 + 16);
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(1, 4); // one image
  head.writeUInt8(SIZE, 6);
  head.writeUInt8(SIZE, 7);
  head.writeUInt16LE(1, 10); // planes
  head.writeUInt16LE(32, 12); // bits per pixel
  head.writeUInt32LE(image.length, 14);
  head.writeUInt32LE(head.length, 18);
  return Buffer.concat([head, image]);
}

export function favicon(): ServerRoute {
  const ico = faviconIco();
  return {
    method: 'GET',
    path: '/favicon.ico',
    handler: (_request, h) =>
      h.response(ico).type('image/x-icon').header('cache-control', 'public, max-age=86400, s-maxage=86400'),
  };
}
