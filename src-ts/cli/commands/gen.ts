/**
 * `nova gen`: writes the generated Winograd constants header (what `npm run gen` does); with `--json` prints
 * every built tile size's exact matrices as one JSON document on stdout, so other tools can check them; with
 * `--target miopen` prints our F(6,3) transforms as MIOpen `winograd_xform` branches.
 */
import { relative } from 'node:path';
import { emitMiopenF6x3 } from '../../winograd/emit-miopen.js';
import { genJson, writeHeader } from '../../winograd/index.js';
import { packageRoot } from '../../binding/load.js';
import { type Command, UsageError } from '../command.js';

const gen: Command = {
  name: 'gen',
  summary: 'write src-hip/generated/winograd_constants.h; print the exact constants as JSON (--json) or for MIOpen',
  flags: {
    target: {
      type: 'string',
      choices: ['header', 'miopen'],
      default: 'header',
      description: "'miopen': print F(6,3) as MIOpen xform_bidirect_winograd branches on stdout",
    },
    json: { type: 'boolean', description: 'print m, r, points, scaling, AT, G, BT (exact fractions) as JSON on stdout' },
    out: { type: 'string', placeholder: '<file>', description: 'write the header here instead of the package' },
  },
  details: 'The header is committed; a test regenerates it and fails when the committed file differs.',
  async run(flags, _positionals, io) {
    if (flags.json && flags.target === 'miopen') throw new UsageError('--json and --target miopen exclude each other');
    if (flags.target === 'miopen') {
      if (flags.out !== undefined) throw new UsageError('--out applies to the header only');
      io.out(emitMiopenF6x3().text);
      return 0;
    }
    if (flags.json) {
      if (flags.out !== undefined) throw new UsageError('--out applies to the header only');
      io.out(JSON.stringify(genJson(), null, 2));
      return 0;
    }
    const { path, changed, sha256 } = flags.out === undefined ? writeHeader() : writeHeader(String(flags.out));
    const shown = relative(packageRoot(), path);
    io.out(`${changed ? 'wrote' : 'unchanged'} ${shown.startsWith('..') ? path : shown} (constants sha256 ${sha256.slice(0, 16)}…)`);
    return 0;
  },
};

export default gen;
