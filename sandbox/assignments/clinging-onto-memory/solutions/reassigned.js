// The tutorial's fix 2: one variable, reassigned at every step, so each array is released as
// soon as the next one exists.
function process_data() {
  let data = load_xMb_of_data(SIZE_OF_DATA_IN_MB);
  data = subtract_scalar(data, SUBTRACT_AMOUNT);
  data = raise_to_power(data, POWER_AMOUNT);
  data = duplicate_data(data);
  data = add_scalar(data, ADD_AMOUNT);
  return data;
}
