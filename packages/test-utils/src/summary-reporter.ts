import type { Reporter, RunnerTask, RunnerTestFile } from 'vitest/node';

/** Ends a run with one plain line, `tests: N passed, N failed, N skipped`, that any CI can read. */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: RunnerTask) => {
      if (task.type === 'suite') return task.tasks.forEach(visit);
      const state = task.result?.state;
      if (state === 'pass') counts.passed++;
      else if (state === 'fail') counts.failed++;
      else counts.skipped++;
    };
    let failedFiles = 0;
    for (const file of files) {
      // A file that failed to load, or whose beforeAll/afterAll threw (its tests then show as
      // skipped), is a failure even when none of its tests failed.
      if (file.result?.state === 'fail') failedFiles++;
      if (file.result?.state === 'fail' && file.tasks.length === 0) counts.failed++;
      file.tasks.forEach(visit);
    }
    const files_ = failedFiles > 0 ? `, ${failedFiles} file${failedFiles === 1 ? '' : 's'} failed` : '';
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${files_}\n`,
    );
  }
}
