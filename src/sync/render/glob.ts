/**
 * Shell-style globs for an Application's include/exclude: `*` and `?` within one path segment,
 * `**` across segments, `{a,b}` alternatives. A pattern without `/` matches a file's base name;
 * one with `/` matches its path relative to the Application's path.
 */

/** Compiles a glob to a predicate over relative paths. */
export function globMatcher(pattern: string): (relPath: string) => boolean {
  const re = new RegExp(`^${globToRegex(pattern)}$`);
  if (pattern.includes('/')) return (p) => re.test(p);
  return (p) => re.test(p.slice(p.lastIndexOf('/') + 1));
}

/** Compiles a glob to a predicate over whole strings, `/` included: for Git ref names such as `pr/*`. */
export function fullGlobMatcher(pattern: string): (s: string) => boolean {
  const re = new RegExp(`^${globToRegex(pattern)}$`);
  return (s) => re.test(s);
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) out += '\\{';
      else {
        out += `(?:${glob.slice(i + 1, end).split(',').map(globToRegex).join('|')})`;
        i = end;
      }
    } else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return out;
}
