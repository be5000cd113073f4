/** `nova doctor`: which backends work here, versions, and why a GPU backend is missing. */
import { backends } from '../../api/device.js';
import { collectEnvironment, explainMissing, formatReport } from '../../binding/doctor.js';
import type { Command } from '../command.js';

const doctor: Command = {
  name: 'doctor',
  summary: 'backends found, versions, and why a GPU backend is missing',
  flags: {
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  async run(flags, _positionals, io) {
    const env = collectEnvironment();
    const infos = await backends();
    if (flags.json) {
      const explained = infos.map((info) => (info.available ? info : { ...info, explanation: explainMissing(info, env) }));
      io.out(JSON.stringify({ environment: env, backends: explained }, null, 2));
    } else {
      io.out(formatReport(env, infos));
    }
    return 0;
  },
};

export default doctor;
