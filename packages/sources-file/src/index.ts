// The sources file: its format, its parser and its URL templates, shared by the fetcher (which
// crawls it) and the CLI (which reports on it and backfills from it).
export {
  DEFAULT_SOURCES_PATH,
  expandUrl,
  isDated,
  isoWeek,
  loadSourcesFile,
  parseDuration,
  parseSourcesFile,
  SourcesFileError,
  type Politeness,
  type SourceDefinition,
  type SourcesFile,
} from './sources-file.js';
