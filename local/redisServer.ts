import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { redisAnswers } from '../lib/redis.js';

const HOW_TO_INSTALL =
  "install one: 'sudo apt-get install redis-server' (Debian/Ubuntu) or 'brew install redis' (macOS), or point REDIS_URL at a running Redis";

/**
 * Uses the Redis at the URL when it answers; otherwise starts `redis-server` on the URL's port
 * (nothing kept on disk) and returns it so the caller can stop it (last); otherwise explains how to
 * get one.
 */
export async function ensureRedis(url: string): Promise<ChildProcess | undefined> {
  if (await redisAnswers(url)) return undefined;
  const parsed = new URL(url);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  if (!local) throw new Error(`no Redis answers at ${url}; ${HOW_TO_INSTALL}`);
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(`no Redis answers at ${url} and redis-server is not installed; ${HOW_TO_INSTALL}`);
  }
  const port = parsed.port || '6379';
  // Its own process group: a Ctrl-C in the terminal signals npm start's group, and Redis must
  // outlive the roles' graceful stop (their last checkpoints), so the caller stops it last.
  const child = spawn(
    'redis-server',
    ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore', detached: true },
  );
  for (let i = 0; i < 100; i += 1) {
    if (await redisAnswers(url, 200)) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`started redis-server on port ${port} but it does not answer at ${url}`);
}
