// Issue 19, defence in depth, inside a real VS Code extension host: model files are read in the reader
// process (src/host/readerClient.ts), so a file that makes the reader grow without bound gets one diagnostic
// and the next file still gets its findings. The same check runs in Restricted Mode (restricted.untrusted.test.ts).
import { resolve } from 'node:path';
import { checkHostileThenModel, fixtureCopies } from './util';

const FIXTURES = resolve(__dirname, '../../../test/fixtures');

describe('Reader process (a hostile file cannot take the editor down)', function () {
  this.timeout(180_000);
  const fixture = fixtureCopies('reader');

  it('the three-line doubling file shows one diagnostic; a model file opened next still gets its findings', async () => {
    await checkHostileThenModel(fixture.api(), (f) => fixture.open(f), FIXTURES);
  });
});
