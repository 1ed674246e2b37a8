// @trm/reference: the file formats of the reference implementation (SamsungSAILMontreal/TinyRecursiveModels), pure
// (bytes in, bytes out; no file system), so that the pipeline, the CLI and the browser can all use them.
export { unpickle, PickleError, PyDict, PyGlobal, PyTuple } from './pickle.ts';
export type { GlobalHandler, PyKey, PyValue, UnpickleOptions } from './pickle.ts';
export { readTorchZip, writeTorchZip } from './torch-zip.ts';
export type { ReadTensors, TorchZipContents } from './torch-zip.ts';
export { readSafetensors, looksLikeSafetensors } from './safetensors.ts';
export type { SafetensorsContents } from './safetensors.ts';
export { readCheckpoint, stripCompilePrefix, addCompilePrefix, meanRowsTable, COMPILE_PREFIX } from './checkpoint.ts';
export type { Checkpoint, CheckpointFormat } from './checkpoint.ts';
export { ITEM_SIZE, decodeElements, floatsToFloat32, halfToFloat, roundToBfloat16 } from './dtypes.ts';
export type { SourceDType } from './dtypes.ts';
export { encodeNpy, npyHeader } from './npy.ts';
export type { NpyDescr } from './npy.ts';
export { PythonFloat, pythonFloatRepr, pythonJson, pythonJsonString } from './python-json.ts';
export {
  REFERENCE_ARRAYS, ReferenceIndexBuilder, referenceArrayFile, referenceDatasetJson, referenceIdentifiersJson,
} from './dataset-layout.ts';
export type { ExampleKeys, ReferenceArray, ReferenceMetadata } from './dataset-layout.ts';
