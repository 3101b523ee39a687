// Preloaded (NODE_OPTIONS=--import) into the CLI of the secrets test and so
// into the embedded target it spawns: in a `simulate serve` process it appends
// the JWT secret it was given to $CROSSTALK_HARDENING_SECRET_OUT, so the test
// learns the fresh secret of an embedded run and can search the results for
// it. Does nothing in any other process.
import { appendFileSync } from 'node:fs';

const out = process.env.CROSSTALK_HARDENING_SECRET_OUT;
const secret = process.env.SIM_JWT_SECRET;
if (out && secret && process.argv[2] === 'serve') appendFileSync(out, `${secret}\n`);
