export { createRng, deriveSeed } from './rng.ts';
export type { Rng } from './rng.ts';
export { dihedral, inverseDihedral, DIHEDRAL_NAMES, DIHEDRAL_INVERSE } from './dihedral.ts';
export { permutationTable, randomPermutationInto, invertPermutation } from './permutations.ts';
