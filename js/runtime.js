// The ringtrail runtime's entry: the glue's init (js/wasm.js), and run() (js/run.js) given the
// wasm's two exports. Bundled with js/browser.js into pkg/ringtrail.js by
// scripts/build-snippet.sh. The runtime itself lives in js/run.js, a module without imports:
// esbuild inlines the constants (the OP_ numbers) only in such a module.
import init, { start, call } from './wasm.js';
import { run as begin } from './run.js';

export default init;
export const run = (config, collector, queue, pre) => begin({ start, call }, config, collector, queue, pre);
