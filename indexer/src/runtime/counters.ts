// What crossed the WASM boundary since the process started. Benchmarks divide it by the events
// they ran to show the host's work per event; plain increments, cheap enough to keep on.
export const boundary = {
  /** store.get / store.get_in_block calls */
  storeGets: 0,
  /** store.set calls */
  storeSets: 0,
  /** entity fields written into the module's heap (store.get answers) */
  fieldsOut: 0,
  /** entity fields read out of it (store.set arguments) */
  fieldsIn: 0,
  /** AssemblyScript objects the host allocated in the module's heap (events, entities, values, strings) */
  heapObjects: 0,
  /** their payload bytes (headers and padding not counted) */
  heapBytes: 0,
};
