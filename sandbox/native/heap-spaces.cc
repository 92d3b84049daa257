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
//
// collected(out: Float64Array) answers what V8's own full collections found alive since the last
// call: it writes [0] the largest data figure ([1] + [2] + [3] above) right after one of them,
// and returns the number of such collections (0: none, and `out` is left as it was).
// quiet(on: boolean): while on, collections are not recorded (the harness measuring itself). A full collection marks what is reachable, so its figure is
// exact at that moment: a transient that a built-in made and dropped within one call (a spread
// of 25 million elements, say), which no sample of the harness's can catch, is caught when V8
// collected while it was alive.
#include <v8.h>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace {
struct Collected {
  double data = 0;
  double count = 0;
  // Set while the harness measures (its own collections, the inspector's pauses): what V8
  // collects then is the harness's doing, and the harness measures it itself.
  bool quiet = false;
};
std::mutex collected_mutex;
std::unordered_map<v8::Isolate*, Collected> collected_by_isolate;

double DataSpaces(v8::Isolate* isolate) {
  double data = 0;
  size_t n = isolate->NumberOfHeapSpaces();
  for (size_t i = 0; i < n; i++) {
    v8::HeapSpaceStatistics s;
    if (!isolate->GetHeapSpaceStatistics(&s, i)) continue;
    const char* name = s.space_name();
    if (!strcmp(name, "new_space") || !strcmp(name, "new_large_object_space") || !strcmp(name, "old_space") ||
        !strcmp(name, "large_object_space")) {
      data += static_cast<double>(s.space_used_size());
    }
  }
  return data;
}

void AfterFullCollection(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void*) {
  double data = DataSpaces(isolate);
  std::lock_guard<std::mutex> lock(collected_mutex);
  Collected& c = collected_by_isolate[isolate];
  if (c.quiet) return;
  if (c.count == 0 || data > c.data) c.data = data;
  c.count++;
}

void Quiet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  bool on = info.Length() > 0 && info[0]->IsTrue();
  std::lock_guard<std::mutex> lock(collected_mutex);
  collected_by_isolate[info.GetIsolate()].quiet = on;
}

void Collect(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Collected c;
  {
    std::lock_guard<std::mutex> lock(collected_mutex);
    auto found = collected_by_isolate.find(info.GetIsolate());
    if (found != collected_by_isolate.end()) {
      c = found->second;
      found->second.data = 0;
      found->second.count = 0;
    }
  }
  if (c.count > 0 && info.Length() > 0 && info[0]->IsFloat64Array()) {
    auto array = info[0].As<v8::Float64Array>();
    auto buffer = array->Buffer();
    if (!buffer->WasDetached() && buffer->Data() != nullptr && array->Length() >= 1) {
      double* data = reinterpret_cast<double*>(static_cast<char*>(buffer->Data()) + array->ByteOffset());
      data[0] = c.data;
    }
  }
  info.GetReturnValue().Set(c.count);
}

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

void SetFunctions(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target) {
  auto spaces = v8::FunctionTemplate::New(isolate, Spaces)->GetFunction(context).ToLocalChecked();
  target->Set(context, v8::String::NewFromUtf8Literal(isolate, "spaces"), spaces).Check();
  auto collect = v8::FunctionTemplate::New(isolate, Collect)->GetFunction(context).ToLocalChecked();
  target->Set(context, v8::String::NewFromUtf8Literal(isolate, "collected"), collect).Check();
  auto quiet = v8::FunctionTemplate::New(isolate, Quiet)->GetFunction(context).ToLocalChecked();
  target->Set(context, v8::String::NewFromUtf8Literal(isolate, "quiet"), quiet).Check();
}
}  // namespace

// isolated-vm calls this for each context the module is created in: once per isolate here (a
// fresh isolate per run, with one context). The callback goes with the isolate (V8 crashes on
// removing one that is not there, so it is never removed); the record starts afresh, also when
// a new isolate has the address of a disposed one. A second context in one isolate would run the
// callback twice per collection, which changes nothing but the count. The records of disposed
// isolates stay (a few bytes each; a sandbox process is replaced after some runs).
extern "C" __attribute__((visibility("default"))) void InitForContext(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target) {
  {
    std::lock_guard<std::mutex> lock(collected_mutex);
    collected_by_isolate[isolate] = Collected();
  }
  isolate->AddGCEpilogueCallback(AfterFullCollection, nullptr, v8::kGCTypeMarkSweepCompact);
  SetFunctions(isolate, context, target);
}

// ivm.NativeModule loads the file from Node's own isolate first, as a Node addon: the functions
// only, no callback on Node's own heap.
extern "C" __attribute__((visibility("default"))) void node_register_module_v137(v8::Local<v8::Object> exports, v8::Local<v8::Value>, v8::Local<v8::Context> context) {
  SetFunctions(v8::Isolate::GetCurrent(), context, exports);
}
