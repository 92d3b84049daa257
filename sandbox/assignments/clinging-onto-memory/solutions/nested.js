// The tutorial's fix 1: nested calls, no local variables. CPython peaks at 200 MB with it;
// V8 keeps each call's argument in a frame register until process_data returns, so here it
// peaks at 300 MB (see the assignment's README).
const process_data = () =>
  add_scalar(
    duplicate_data(
      raise_to_power(
        subtract_scalar(load_xMb_of_data(SIZE_OF_DATA_IN_MB), SUBTRACT_AMOUNT),
        POWER_AMOUNT,
      ),
    ),
    ADD_AMOUNT,
  );
