// Beyond the tutorial: compute the whole pipeline in place over the loaded array, one table
// lookup per element. Only one 100 MB array ever exists.
function process_data() {
  const data = load_xMb_of_data(SIZE_OF_DATA_IN_MB);
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const lowered = (v - SUBTRACT_AMOUNT) & 0xff;
    table[v] = (lowered ** POWER_AMOUNT) * DUPLICATE_CONST + ADD_AMOUNT;
  }
  for (let i = 0; i < data.length; i++) data[i] = table[data[i]];
  return data;
}
