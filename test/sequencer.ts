// The workers share the suite; a long file started last leaves the others idle at the end (a
// clean clone has no timings cached, so vitest would order by file size, and some of the
// longest files are short ones that start real processes). These start first, longest first.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LONGEST_FIRST = [
  'test/adversarial/big-values.test.ts',
  'test/sync/convergence.test.ts',
  'test/sync/retry.test.ts',
  'test/sync/crash.test.ts',
  'test/cli/sea.test.ts',
  'test/server/total-order.test.ts',
  'test/acceptance/cli-mistakes.test.ts',
  'test/cli/progress.test.ts',
  'test/sync/patchset-bounded.test.ts',
  'test/adversarial/schema-through-hub.test.ts',
  'test/sync/schema-rebase.test.ts',
  'test/cli/npm-install.test.ts',
  'test/remote/postgres.test.ts',
  'test/acceptance/requirements.test.ts',
  'test/adversarial/app-writer.test.ts',
  'test/adversarial/busy-app.test.ts',
  'test/cli/docs-run.test.ts',
  'test/cli/demo.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = LONGEST_FIRST.findIndex((known) => file.moduleId.endsWith(known));
      return at === -1 ? LONGEST_FIRST.length : at;
    };
    return (await super.sort(files)).map((file, order) => ({ file, order })).sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order).map(({ file }) => file);
  }
}
