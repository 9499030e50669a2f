/** Lua scripts are imported as their text (esbuild `text` loader; a jest transform in tests). */
declare module '*.lua' {
  const source: string;
  export default source;
}
