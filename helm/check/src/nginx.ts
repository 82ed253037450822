import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The nginx binary (Debian's /usr/sbin/nginx, or one on PATH), or null. */
export function findNginx(): string | null {
  return (
    ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'nginx'))].find(
      (p) => {
        try {
          execFileSync(p, ['-v'], { stdio: 'ignore' });
          return true;
        } catch {
          return false;
        }
      },
    ) ?? null
  );
}

/**
 * Writes the edge's rendered files (the ConfigMap's data) into the scratch folder `dir` so that
 * nginx can load them outside the pod, and a main nginx.conf that includes them as the image's
 * does; returns that file. Only what points into the pod changes: the ConfigMap's mount
 * (/etc/nginx/conf.d/) and the cache volume (/var/cache/nginx/) become folders of `dir`, the
 * cluster's DNS resolver a local address, and then each of `replace` (e.g. the listen port and the
 * functions' addresses, to run it). Its scratch folders are writable by nginx's workers, which run
 * as nobody when nginx is started as root.
 */
export function writeEdgeConfig(dir: string, files: Record<string, string>, replace: [string, string][] = []): string {
  chmodSync(dir, 0o755);
  for (const sub of ['cache', 'temp']) {
    mkdirSync(path.join(dir, sub), { recursive: true });
    chmodSync(path.join(dir, sub), 0o777);
  }
  for (const [name, text] of Object.entries(files)) {
    let conf = text
      .replaceAll('/etc/nginx/conf.d/', `${dir}/`)
      .replaceAll('/var/cache/nginx/', `${dir}/cache/`)
      .replace(/resolver \S+/, 'resolver 127.0.0.1');
    for (const [from, to] of replace) conf = conf.replaceAll(from, to);
    writeFileSync(path.join(dir, name), conf);
  }
  const temp = (kind: string) => `${kind}_temp_path ${dir}/temp/${kind};`;
  const main = path.join(dir, 'nginx.conf');
  writeFileSync(
    main,
    `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}\n  include ${dir}/default.conf;\n}\n`,
  );
  return main;
}

/**
 * `nginx -t` on the edge's rendered configuration, in a scratch prefix: the in-cluster paths and
 * the cluster's DNS resolver are swapped for local ones, nothing else changes.
 */
export function nginxConfigProblems(files: Record<string, string>): string[] {
  const nginx = findNginx();
  if (!nginx) return ['nginx not found, so the edge configuration is unchecked: apt-get install nginx-light'];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-nginx-'));
  try {
    const main = writeEdgeConfig(dir, files);
    // stdout to /dev/null: the access log opens /dev/stdout, which cannot be opened on a socket.
    execFileSync(nginx, ['-t', '-q', '-p', dir, '-c', main, '-e', 'stderr'], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return [];
  } catch (err) {
    return [`nginx -t: ${String((err as { stderr?: string }).stderr ?? err).trim()}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
