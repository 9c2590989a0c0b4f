// Input step for conv2d.wgsl through workgroup memory: per K chunk (16 columns), the workgroup loads the chunk's
// input patch at its TILE_POSITIONS positions once, instead of once per invocation along channels. Each loader
// writes whole vectors (no two invocations share one): loader i fills vector slot i % TILE_POSITION_VECTORS of
// every STAGE_STRIDE-th column from i / TILE_POSITION_VECTORS.

const TILE_POSITION_VECTORS = TILE_POSITIONS / 4u;
const STAGE_STRIDE = INVOCATIONS / TILE_POSITION_VECTORS;

// inputPatch[column · TILE_POSITION_VECTORS + t · POSITION_VECTORS + v]: the chunk's column at the positions of vector v
// of the invocation t along positions, so each invocation reads its inputs as whole vectors.
var<workgroup> inputPatch: array<vec4f, 16u * TILE_POSITION_VECTORS>;
// The loader's four positions: the top-left input cell of each window, and that cell's flat index.
var<private> loaderTop: vec4i;
var<private> loaderLeft: vec4i;
var<private> loaderCorner: vec4i;

fn prepareInputs() {
  let slot = invocation % TILE_POSITION_VECTORS;
  // Slot t · POSITION_VECTORS + v holds tile positions t + (4v + l) · THREADS_ALONG_POSITIONS, l = 0 … 3.
  let t = slot / POSITION_VECTORS;
  let v = slot % POSITION_VECTORS;
  let tilePosition = t + (4u * v + vec4u(0u, 1u, 2u, 3u)) * THREADS_ALONG_POSITIONS;
  let q = min(vec4u(firstTilePosition) + tilePosition, vec4u(positions - 1u));
  let spatial = q % plane;
  loaderTop = vec4i(spatial / shape.OW * shape.SH) - i32(shape.PH);
  loaderLeft = vec4i(spatial % shape.OW * shape.SW) - i32(shape.PW);
  loaderCorner = vec4i(q / plane * shape.C * shape.H * shape.W) + loaderTop * i32(shape.W) + loaderLeft;
}

fn loadInputBlock(block: u32) {
  // The previous chunk has been read by every invocation before it is overwritten.
  workgroupBarrier();
  let taps = shape.KH * shape.KW;
  let height = vec4i(i32(shape.H));
  let width = vec4i(i32(shape.W));
  let slot = invocation % TILE_POSITION_VECTORS;
  // A loop, not unrolled: unrolled staging loads made SwiftShader take over a minute to create the pipeline.
  for (var column = invocation / TILE_POSITION_VECTORS; column < 16u; column += STAGE_STRIDE) {
    // Columns past K stage anything valid: the accumulation stops at K.
    let k = min(block * 16u + column, shape.K - 1u);
    let tap = k % taps;
    let dy = i32(tap / shape.KW);
    let dx = i32(tap % shape.KW);
    let y = loaderTop + dy;
    let x = loaderLeft + dx;
    let inside = (y >= vec4i(0)) & (y < height) & (x >= vec4i(0)) & (x < width);
    // Cells outside the image are padding (zero); their index is clamped only to stay a valid read.
    let offset = i32(k / taps * shape.H * shape.W) + dy * i32(shape.W) + dx;
    let index = vec4u(max(loaderCorner + offset, vec4i(0)));
    let loaded = vec4f(input[index.x], input[index.y], input[index.z], input[index.w]);
    inputPatch[column * TILE_POSITION_VECTORS + slot] = select(vec4f(0.0), loaded, inside);
  }
}

fn chunkReady() {
  workgroupBarrier();
}

fn loadColumn(bit: u32) {
  let first = bit * TILE_POSITION_VECTORS + invocation % THREADS_ALONG_POSITIONS * POSITION_VECTORS;
  // unroll: literal indices into xs (src/backends/webgpu/unroll.ts).
  for (var v = 0u; v < POSITION_VECTORS; v++) {
    xs[v] = inputPatch[first + v];
  }
}
