// Types of inputs.mjs.
import type { StageDeclaration } from './declarations.d.mts';

export const SOURCE_EXTENSIONS: readonly string[];
export function isSourceFile(name: string): boolean;
export function sourceFiles(root: string, paths: readonly string[]): string[];
export function sourcesHash(root: string, paths: readonly string[]): string;
export function sourceGlobs(root: string, paths: readonly string[]): string[];

export const BUILTIN_DATASETS: Readonly<Record<string, { pkg: string; src: string }>>;
export interface DatasetLocation {
  name: string;
  kind: 'builtin' | 'path' | 'package';
  /** what the pipeline imports: a package name or an absolute file path */
  import: string;
  /** folders (relative to the root) whose sources make up the lib; empty for a package that is not installed */
  sources: string[];
}
export function locateDataset(name: string, root: string): DatasetLocation;

export function parseJsonc(text: string): unknown;
export function configPath(name: string, dir: string): string;
export interface ChainLink { file: string; json: Record<string, unknown>; text?: string }
export function configChain(name: string, dir: string): ChainLink[];
export function chainDataset(chain: ChainLink[]): string | null;
export function datasetOverride(sets: readonly string[] | undefined): string | null;

export interface MachineFacts { cores: number; cpu: string; tensorflow: Record<string, string | null> }
export function machineFacts(root: string): MachineFacts;

export interface StageInputs {
  stage: string;
  config: string;
  files: ({ file: string; fields: Record<string, unknown> } | { file: string; text: string })[];
  dataset?: { name: string; kind: string; sources: string[]; hash: string };
  machine?: MachineFacts;
  /** sha256 of the file the stage's output was imported from (`trm import-checkpoint`) */
  imported?: string;
}
export function artifactsRoot(root: string): string;
export function importedOutput(root: string, configName: string, stageName: string): string | null;
export function importedOutputs(root: string): string[];
export function stageInputs(stage: StageDeclaration, configName: string, opts: { root: string; configsDir: string; sets?: readonly string[]; machine?: MachineFacts | null }): StageInputs;
