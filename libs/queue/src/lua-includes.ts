/** Include files by the name their `--- @include` lines give them ('includes/token-bucket'): their text. */
export type LuaIncludes = Readonly<Record<string, string>>;

const includeLine = /^--- @include "([^"]+)"[ \t]*$/gm;

/**
 * A Lua file with its `--- @include "includes/<name>"` lines resolved at load time, as BullMQ resolves its own:
 * each line is replaced by the include's text (its own includes resolved first, recursively), and an include
 * already in the script (named by another file too) is not repeated, so a local function is defined once, before
 * its first user. A missing include or a cycle throws, naming it and the file that asked for it.
 */
export function resolveLuaIncludes(fileName: string, source: string, includes: LuaIncludes): string {
  const included = new Set<string>();
  const resolve = (name: string, text: string, chain: readonly string[]): string =>
    text.replace(includeLine, (_line, include: string) => {
      if (chain.includes(include)) throw new Error(`${name}: include cycle ${[...chain, include].join(' -> ')}`);
      if (included.has(include)) return '';
      const body = includes[include];
      if (body === undefined) throw new Error(`${name}: missing include "${include}"`);
      included.add(include);
      return resolve(include, body, [...chain, include]).trimEnd();
    });
  return resolve(fileName, source, [fileName]);
}
