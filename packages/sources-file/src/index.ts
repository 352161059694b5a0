// The sources file: its format, its parser and its URL templates, shared by the fetcher (which
// crawls it) and the CLI (which reports on it and backfills from it).
export {
  DEFAULT_SOURCES_PATH,
  expandUrl,
  isDated,
  isoWeek,
  loadSourcesFile,
  type Politeness,
  parseDuration,
  parseSourcesFile,
  type SourceDefinition,
  type SourcesFile,
  SourcesFileError,
} from './sources-file.js';
