// The constants and the helpers (load_xMb_of_data, subtract_scalar, raise_to_power,
// duplicate_data, add_scalar) are already defined: edit process_data only.
function process_data() {
  let data = load_xMb_of_data(SIZE_OF_DATA_IN_MB);
  data = subtract_scalar(data, SUBTRACT_AMOUNT);
  const data_pow = raise_to_power(data, POWER_AMOUNT);
  return add_scalar(duplicate_data(data_pow), ADD_AMOUNT);
}
