// `npm run docs`: regenerate docs/CLI.md from the commands' --help.
import { writeFileSync } from 'node:fs';
import { renderReference } from './reference.ts';

writeFileSync(new URL('../../docs/CLI.md', import.meta.url), await renderReference());
