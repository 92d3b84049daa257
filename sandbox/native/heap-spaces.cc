// The native heap-space reader: a module for isolated-vm (ivm.NativeModule) that reads, inside
// the isolate it is loaded into, that isolate's own heap-space figures, which isolated-vm 7 does
// not expose. Opt-in: built by scripts/build-heap-spaces.sh, used by the grader when
// MEMGRADE_HEAP_SPACES_ADDON names the built file (src/sandbox-host/run-submission.ts).
//
// spaces(out: Float64Array) writes up to nine figures into `out` and returns out[0]:
//   [0] used_heap_size       [1] new + new large objects   [2] old   [3] large objects
//   [4] code + code large objects   [5] trusted + trusted large objects (bytecode, code metadata)
//   [6] shared spaces   [7] read-only space   [8] external bytes (V8's own count: ArrayBuffers)
// The harness's heap figure is [1] + [2] + [3]: the data, without compiled code and bytecode.
// Nothing is allocated on the JS heap: the caller owns `out`.
#include <v8.h>
#include <cstring>

namespace {
void Spaces(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  double out[9] = {0};
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  out[0] = static_cast<double>(heap.used_heap_size());
  out[8] = static_cast<double>(heap.external_memory());
  size_t n = isolate->NumberOfHeapSpaces();
  for (size_t i = 0; i < n; i++) {
    v8::HeapSpaceStatistics s;
    if (!isolate->GetHeapSpaceStatistics(&s, i)) continue;
    const char* name = s.space_name();
    double used = static_cast<double>(s.space_used_size());
    if (!strcmp(name, "new_space") || !strcmp(name, "new_large_object_space")) out[1] += used;
    else if (!strcmp(name, "old_space")) out[2] += used;
    else if (!strcmp(name, "large_object_space")) out[3] += used;
    else if (!strcmp(name, "code_space") || !strcmp(name, "code_large_object_space")) out[4] += used;
    else if (!strcmp(name, "trusted_space") || !strcmp(name, "trusted_large_object_space")) out[5] += used;
    else if (!strncmp(name, "shared", 6)) out[6] += used;
    else if (!strcmp(name, "read_only_space")) out[7] += used;
  }
  if (info.Length() > 0 && info[0]->IsFloat64Array()) {
    auto array = info[0].As<v8::Float64Array>();
    auto buffer = array->Buffer();
    if (!buffer->WasDetached() && buffer->Data() != nullptr) {
      size_t count = array->Length() < 9 ? array->Length() : 9;
      double* data = reinterpret_cast<double*>(static_cast<char*>(buffer->Data()) + array->ByteOffset());
      for (size_t i = 0; i < count; i++) data[i] = out[i];
    }
  }
  info.GetReturnValue().Set(out[0]);
}
}  // namespace

// isolated-vm calls this for each context the module is created in.
extern "C" __attribute__((visibility("default"))) void InitForContext(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target) {
  auto fn = v8::FunctionTemplate::New(isolate, Spaces)->GetFunction(context).ToLocalChecked();
  target->Set(context, v8::String::NewFromUtf8Literal(isolate, "spaces"), fn).Check();
}

// ivm.NativeModule loads the file from Node's own isolate first, as a Node addon.
extern "C" __attribute__((visibility("default"))) void node_register_module_v137(v8::Local<v8::Object> exports, v8::Local<v8::Value>, v8::Local<v8::Context> context) {
  InitForContext(v8::Isolate::GetCurrent(), context, exports);
}
