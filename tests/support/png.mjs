// Just enough PNG for the WebDriver screenshots: decode a non-interlaced
// 8-bit RGB or RGBA image, cut a rectangle out of it, encode that again.
// (WebKitGTK's element screenshot of an iframe comes out black; its
// viewport screenshot is right, so frames are cut out of that.)
import zlib from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** { width, height, channels, pixels } with pixels as rows of bytes. */
export function decodePng(buf) {
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error("png: not a PNG");
  let off = 8;
  let header = null;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString("latin1", off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], color: data[9], interlace: data[12] };
    } else if (type === "IDAT") {
      idat.push(data);
    }
    off += 12 + len;
  }
  if (!header || header.depth !== 8 || (header.color !== 2 && header.color !== 6) || header.interlace !== 0) {
    throw new Error(`png: only 8-bit non-interlaced RGB/RGBA is supported (${JSON.stringify(header)})`);
  }
  const { width, height } = header;
  const channels = header.color === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const pixels = Buffer.alloc(height * stride);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = pixels.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[x] = v & 0xff;
    }
    prev = cur;
  }
  return { width, height, channels, pixels };
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export function encodePng({ width, height, channels, pixels }) {
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) pixels.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 4 ? 6 : 2;
  return Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** The rectangle (x, y, width, height in image pixels) of a PNG, as a PNG. */
export function cropPng(buf, { x, y, width, height }) {
  const img = decodePng(buf);
  if (x < 0 || y < 0 || x + width > img.width || y + height > img.height) {
    throw new Error(`png: ${width}×${height} at ${x},${y} is outside the ${img.width}×${img.height} image`);
  }
  const { channels } = img;
  const pixels = Buffer.alloc(width * height * channels);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * img.width + x) * channels;
    img.pixels.copy(pixels, row * width * channels, from, from + width * channels);
  }
  return encodePng({ width, height, channels, pixels });
}
