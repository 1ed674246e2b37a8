// Reading API for stage artifacts (used by the report stage and `trm inspect`).
export { openArrowFile, readArrowRows, writeArrowFile, ArrowFileWriter } from './arrow-table.ts';
export type { ColumnSpec, Row, Cell, ArrowFileInfo } from './arrow-table.ts';
export { readManifest, verifyFiles, stageDir, ArtifactError, STAGES, SCHEMA_VERSION } from './manifest.ts';
export type { Manifest, FileEntry, Lineage, StageName } from './manifest.ts';
export { writeStage, writeFileAtomic } from './stage-writer.ts';
export { openStage, readTable, readJsonFile } from './open-stage.ts';
export type { OpenedStage } from './open-stage.ts';
