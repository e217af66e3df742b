/**
 * The static tokens file, in kube-apiserver's `--token-auth-file` format: one user per line,
 * `token,user,uid,"group1,group2"` (groups optional; `#` starts a comment). Every user from it is
 * also in `system:authenticated`, as Kubernetes adds that group to every authenticated user.
 */
import { readFileSync } from 'node:fs';
import type { UserInfo } from '../../controlplane/api/request.js';

export const AUTHENTICATED_GROUP = 'system:authenticated';

/** Splits one CSV line, honouring double quotes ("" is a literal quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Parses the file's text into token → user; errors name the line. */
export function parseTokensFile(text: string, source = 'tokens file'): Record<string, UserInfo> {
  const tokens: Record<string, UserInfo> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [token, username, uid, groups] = csvFields(line);
    if (!token || !username) throw new Error(`${source}:${i + 1}: want token,user,uid[,"group1,group2"]`);
    if (tokens[token]) throw new Error(`${source}:${i + 1}: token repeated (first used for user "${tokens[token].username}")`);
    const list = (groups ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    if (!list.includes(AUTHENTICATED_GROUP)) list.push(AUTHENTICATED_GROUP);
    tokens[token] = { username, uid: uid || undefined, groups: list };
  });
  return tokens;
}

export function loadTokensFile(path: string): Record<string, UserInfo> {
  return parseTokensFile(readFileSync(path, 'utf8'), path);
}
