// kept.js, the generic loader (data-key, or a key the server could not write
// rules for): the whole loader (main.js), run on the script tag that loads it.
// scripts/build-widget.sh bundles it into the one file a page loads.
import { run } from './main.js';

run(document.currentScript, Object.create(null));
