import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `nginx -t` on the edge's rendered configuration, in a scratch prefix: the in-cluster paths and
 * the cluster's DNS resolver are swapped for local ones, nothing else changes.
 */
export function nginxConfigProblems(files: Record<string, string>): string[] {
  const nginx = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'nginx'))].find((p) => {
    try {
      execFileSync(p, ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!nginx) return ['nginx not found, so the edge configuration is unchecked: apt-get install nginx-light'];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-nginx-'));
  mkdirSync(path.join(dir, 'cache')); // /var/cache/nginx, an emptyDir in the pod
  try {
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(
        path.join(dir, name),
        text
          .replaceAll('/etc/nginx/conf.d/', `${dir}/`)
          .replaceAll('/var/cache/nginx/', `${dir}/cache/`)
          .replace(/resolver \S+/, 'resolver 127.0.0.1'),
      );
    }
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include ${dir}/default.conf;\n}\n`,
    );
    // stdout to /dev/null: the access log opens /dev/stdout, which cannot be opened on a socket.
    execFileSync(nginx, ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    return [];
  } catch (err) {
    return [`nginx -t: ${String((err as { stderr?: string }).stderr ?? err).trim()}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
