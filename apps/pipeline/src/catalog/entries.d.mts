// Types of entries.mjs.
export type StageName = 'fetch' | 'augment' | 'encode' | 'train' | 'evaluate' | 'report';
/** arrow: Arrow IPC file; json; safetensors; text; files: a set of files the stage names at run time; checkpoints: a folder of verified checkpoints (io/checkpoint-store.ts: train.partial, evaluate.partial) */
export type CatalogFormat = 'arrow' | 'json' | 'safetensors' | 'text' | 'files' | 'checkpoints';

export interface CatalogEntry {
  /** the stage whose folder holds the file */
  stage: StageName;
  /** the file inside the stage folder (a glob for `files`; '' for a folder of its own) */
  path: string;
  /** a folder beside the stage folders instead of the stage folder (train.partial, evaluate.partial) */
  folder?: string;
  format: CatalogFormat;
  /** json (and JSON files of `files`): spaces of indentation; absent = one line */
  indent?: number;
  /** written only by some datasets or settings */
  optional?: boolean;
  description: string;
}

export const CATALOG: Readonly<Record<string, CatalogEntry>>;
export function catalogEntry(id: string): CatalogEntry;
export function entryLocation(id: string): string;
export function entryName(id: string): string;
export function entryFolder(artifacts: string, config: string, id: string): string;
