// Dense layers as a GEMV (matrix × a few vectors), for which the convolution's tiles would leave most lanes idle and
// launch few workgroups. A workgroup computes GEMV_ROWS outputs × GEMV_SAMPLES samples: its invocations form
// ROW_GROUPS × K_SLICES, each holding ROWS_PER_THREAD rows × GEMV_SAMPLES samples in registers (one input load
// serves every row, one decoded weight every sample) over the 16-column blocks (one packed ternary word) of its K
// slice, neighbours taking neighbouring blocks; the slices' parts are then summed in workgroup memory. Vector lanes
// run along K (4 consecutive columns). Samples past the batch compute a copy of the last one and are not stored.
// Workgroup memory stays small (256 bytes): on SwiftShader a pipeline's creation time grows with it.
// The host declares ROWS_PER_THREAD and K_SLICES and appends linear.wgsl (sizes, bindings, epilogue) and the decode
// step (dense-ternary.wgsl or dense-float.wgsl), which declares binding 4 (`weights`) and defines
// loadWeightBlock(block) and accumulateQuad(quad): it adds columns 16·block + 4·quad … + 3 of the invocation's rows
// `rows`, times `xs`, into `acc`.

const ROW_GROUPS = INVOCATIONS / K_SLICES;
const GEMV_ROWS = ROW_GROUPS * ROWS_PER_THREAD;

// Every invocation's part of one of its rows' sums, [row group][slice].
var<workgroup> partial: array<f32, INVOCATIONS>;

// acc[i · GEMV_SAMPLES + n]: row i of the invocation for sample n, one lane per column of the quad.
var<private> acc: array<vec4<f32>, ROWS_PER_THREAD * GEMV_SAMPLES>;
// The quad's inputs per sample.
var<private> xs: array<vec4<f32>, GEMV_SAMPLES>;
// The invocation's weight rows, clamped so that rows past O read valid memory (their sums are never stored).
var<private> rows: array<u32, ROWS_PER_THREAD>;

@compute @workgroup_size(INVOCATIONS)
fn main(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let samples = arrayLength(&output) / shape.O;
  let rowTiles = (shape.O + GEMV_ROWS - 1u) / GEMV_ROWS;
  let group = flatWorkgroup(workgroup, workgroups);
  let firstSample = group / rowTiles * GEMV_SAMPLES;
  // Uniform across the workgroup (the surplus workgroups of a folded grid), so no barrier is skipped by some only.
  if (firstSample >= samples) {
    return;
  }
  let firstRow = group % rowTiles * GEMV_ROWS + lane / K_SLICES * ROWS_PER_THREAD;
  let slice = lane % K_SLICES;
  // unroll: literal indices into rows (src/backends/webgpu/unroll.ts).
  for (var i = 0u; i < ROWS_PER_THREAD; i++) {
    rows[i] = min(firstRow + i, shape.O - 1u);
  }

  for (var block = slice; block < shape.kWords; block += K_SLICES) {
    loadWeightBlock(block);
    for (var quad = 0u; quad < 4u; quad++) {
      let k = block * 16u + quad * 4u + vec4u(0u, 1u, 2u, 3u);
      let inside = k < vec4u(shape.K);
      // unroll: literal indices into xs.
      for (var n = 0u; n < GEMV_SAMPLES; n++) {
        // Columns past K read as zero; the index is clamped only to stay a valid read.
        let index = min(firstSample + n, samples - 1u) * shape.K + min(k, vec4u(shape.K - 1u));
        xs[n] = select(vec4f(0.0), vec4f(input[index.x], input[index.y], input[index.z], input[index.w]), inside);
      }
      accumulateQuad(quad);
    }
  }

  // The reduction loops over a copy: indexing acc itself with loop counters would keep it in memory throughout.
  var sums: array<f32, ROWS_PER_THREAD * GEMV_SAMPLES>;
  // unroll: literal indices into acc.
  for (var i = 0u; i < ACCUMULATORS; i++) {
    sums[i] = acc[i].x + acc[i].y + acc[i].z + acc[i].w;
  }
  // One sum at a time, so that `partial` holds one value per invocation: workgroup memory is what makes a pipeline
  // slow to create on SwiftShader. Samples past the batch are skipped (uniformly).
  let liveSums = min(GEMV_SAMPLES, samples - firstSample) * ROWS_PER_THREAD;
  for (var s = 0u; s < liveSums; s++) {
    workgroupBarrier();
    partial[lane] = sums[s % ROWS_PER_THREAD * GEMV_SAMPLES + s / ROWS_PER_THREAD];
    for (var stride = K_SLICES / 2u; stride > 0u; stride /= 2u) {
      workgroupBarrier();
      if (slice < stride) {
        partial[lane] += partial[lane + stride];
      }
    }
    workgroupBarrier();
    let o = firstRow + s % ROWS_PER_THREAD;
    if (slice == 0u && o < shape.O) {
      storeOutput((firstSample + s / ROWS_PER_THREAD) * shape.O + o, o, partial[lane]);
    }
  }
}
