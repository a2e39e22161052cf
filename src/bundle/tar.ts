/**
 * The bundle as one archive: regular files in a tar (ustar, with pax headers for long names), written and
 * read with tar-stream. Only regular files are read back; the bundle never has links or devices, and
 * entries are only ever held in memory, never extracted to disk by path.
 */
import { extract, pack } from 'tar-stream';

export interface TarEntry {
  path: string;
  data: Buffer;
}

export async function writeTar(entries: TarEntry[], mtime = new Date()): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    archive.on('data', (chunk) => chunks.push(chunk as Buffer));
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const e of entries) archive.entry({ name: e.path, size: e.data.length, mode: 0o644, mtime }, e.data);
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Reads the regular files of a tar archive; throws on a damaged header (tar-stream checks its checksum) or a truncated archive. */
export async function readTar(archive: Buffer): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const reader = extract();
  try {
    const finished = new Promise<void>((resolve, reject) => {
      reader.on('finish', resolve);
      reader.on('error', reject);
    });
    reader.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (chunk) => parts.push(chunk as Buffer));
      stream.on('end', () => {
        if (header.type === 'file' || header.type === 'contiguous-file')
          entries.push({ path: header.name, data: Buffer.concat(parts) });
        next();
      });
      stream.on('error', next);
    });
    reader.end(archive);
    await finished;
  } catch (error) {
    throw new Error(`damaged tar header or truncated archive: ${(error as Error).message}`);
  }
  return entries;
}
