// Types of declarations.mjs.
import type { StageName } from '../catalog/entries.d.mts';

export type { StageName };

/** A top-level key of a config file. */
export type ConfigKey = 'description' | 'dataset' | 'seed' | 'fetch' | 'augment' | 'encode' | 'arch' | 'train' | 'evaluate' | 'report' | 'runtime' | 'tracking';

export interface StageOption {
  /** commander flags, e.g. `--compare <config>` */
  flags: string;
  /** the option's name in parsed options and in the Nx target's options */
  name: string;
  description: string;
}

export interface StageDeclaration {
  name: StageName;
  /** one line: what the stage does */
  summary: string;
  /** config keys whose resolved values the manifest key hashes (and whose raw values Nx hashes, in the config and every config it extends) */
  sections: readonly ConfigKey[];
  /** stages whose outputs it reads: their manifests are inputs of its key (Nx: dependsOn) */
  upstream: readonly StageName[];
  /** catalog entries it reads (catalog/entries.mjs) */
  reads: readonly string[];
  /** catalog entries it writes */
  writes: readonly string[];
  /** runs the dataset lib the config names: the lib's sources join its code hash */
  dataset: boolean;
  /** runs the model on a tensor backend: the backend (name, version, matmul kernel) is part of its key */
  engine: boolean;
  /** files and folders (relative to the repository root) whose code decides its output */
  code: readonly string[];
  /** npm packages its code imports */
  packages: readonly string[];
  /** the module that runs it (relative to the root), loaded only when the stage runs */
  module: string;
  /** the function of `module` that runs it */
  entry: string;
  /** command-line options of this stage only */
  options: readonly StageOption[];
  /** what else it reads, for --help */
  notes?: string;
  /**
   * more it uses when the config key `when` (dotted, e.g. `train.eval_interval`) is set (not 0, false or empty): these
   * sections and, with `dataset`, the dataset lib; the manifest key then covers them (Nx always hashes them)
   */
  also?: { when: string; sections: readonly ConfigKey[]; dataset: boolean };
}

export const STAGES: readonly StageDeclaration[];
export const RUNNER: { readonly code: readonly string[]; readonly packages: readonly string[] };
export const BACKEND: { readonly code: readonly string[]; readonly env: readonly string[] };
export function stageDeclaration(name: string): StageDeclaration;
export function stagesUpTo(name: string): StageDeclaration[];
export function stageUses(stage: StageDeclaration, config: object): { sections: ConfigKey[]; dataset: boolean };
export function stageMayUse(stage: StageDeclaration): { sections: ConfigKey[]; dataset: boolean };
