// Dense layers as a GEMV (matrix × a few vectors), for which the convolution's tiles would leave most lanes idle and
// launch few workgroups. A workgroup computes GEMV_ROWS outputs × GEMV_SAMPLES samples: K_SLICES invocations per row
// split its K into 16-column blocks (one packed ternary word), neighbours taking neighbouring blocks, then sum their
// parts in workgroup memory. Vector lanes run along K (4 consecutive columns), so a single sample fills them.
// Workgroup memory stays small (256 bytes): on SwiftShader a pipeline's creation time grows with it.
// The host appends linear.wgsl (sizes, bindings, epilogue) and the decode step (dense-ternary.wgsl or
// dense-float.wgsl), which declares binding 4 (`weights`) and defines loadWeightBlock(block) and accumulateQuad(quad):
// it adds columns 16·block + 4·quad … + 3 of row `row`, times `xs`, into `acc`.

const GEMV_ROWS = 8u;
const K_SLICES = INVOCATIONS / GEMV_ROWS;
const GEMV_SAMPLES = 4u;

// Every invocation's part of its row's sum for one sample, [row][slice].
var<workgroup> partial: array<f32, INVOCATIONS>;

// acc[n]: sample n of the workgroup, one lane per column of the quad.
var<private> acc: array<vec4<f32>, GEMV_SAMPLES>;
// The quad's inputs per sample.
var<private> xs: array<vec4<f32>, GEMV_SAMPLES>;
// This invocation's part of each sample's sum.
var<private> sliceSums: array<f32, GEMV_SAMPLES>;
// This invocation's weight row, clamped so that rows past O read valid memory (their sums are never stored).
var<private> row: u32;

@compute @workgroup_size(INVOCATIONS)
fn main(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let samples = arrayLength(&output) / shape.O;
  let sampleTiles = (samples + GEMV_SAMPLES - 1u) / GEMV_SAMPLES;
  let group = flatWorkgroup(workgroup, workgroups);
  // Uniform across the workgroup (the surplus workgroups of a folded grid), so no barrier is skipped by some only.
  if (group / sampleTiles * GEMV_ROWS >= shape.O) {
    return;
  }
  let o = group / sampleTiles * GEMV_ROWS + lane / K_SLICES;
  let slice = lane % K_SLICES;
  let firstSample = group % sampleTiles * GEMV_SAMPLES;
  row = min(o, shape.O - 1u);

  for (var block = slice; block < shape.kWords; block += K_SLICES) {
    loadWeightBlock(block);
    for (var quad = 0u; quad < 4u; quad++) {
      let k = block * 16u + quad * 4u + vec4u(0u, 1u, 2u, 3u);
      let inside = k < vec4u(shape.K);
      // unroll: literal indices into xs (src/backends/webgpu/unroll.ts).
      for (var n = 0u; n < GEMV_SAMPLES; n++) {
        // Columns past K read as zero; the index is clamped only to stay a valid read.
        let index = min(firstSample + n, samples - 1u) * shape.K + min(k, vec4u(shape.K - 1u));
        let x = vec4f(input[index.x], input[index.y], input[index.z], input[index.w]);
        xs[n] = select(vec4f(0.0), x, inside);
      }
      accumulateQuad(quad);
    }
  }

  // unroll: literal indices into acc.
  for (var n = 0u; n < GEMV_SAMPLES; n++) {
    let sum = acc[n];
    sliceSums[n] = sum.x + sum.y + sum.z + sum.w;
  }
  // One sample at a time, so that `partial` holds one value per invocation: workgroup memory is what makes a pipeline
  // slow to create on SwiftShader.
  for (var n = 0u; n < GEMV_SAMPLES; n++) {
    workgroupBarrier();
    partial[lane] = sliceSums[n];
    for (var stride = K_SLICES / 2u; stride > 0u; stride /= 2u) {
      workgroupBarrier();
      if (slice < stride) {
        partial[lane] += partial[lane + stride];
      }
    }
    workgroupBarrier();
    let sample = firstSample + n;
    if (slice == 0u && o < shape.O && sample < samples) {
      storeOutput(sample * shape.O + o, o, partial[lane]);
    }
  }
}
