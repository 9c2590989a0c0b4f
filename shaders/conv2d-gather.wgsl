// Input step for conv2d.wgsl without workgroup memory: every invocation loads the inputs under each column at its
// own positions straight from the storage buffer (neighbouring invocations take neighbouring positions, so the loads
// coalesce). The column's (channel, dy, dx) advances incrementally: k = (channel·KH + dy)·KW + dx.

// Per position vector: the top-left input cell of each position's window, and that cell's flat index.
var<private> top: array<vec4i, POSITION_VECTORS>;
var<private> left: array<vec4i, POSITION_VECTORS>;
var<private> corner: array<vec4i, POSITION_VECTORS>;
var<private> channelOffset: i32;
var<private> dy: i32;
var<private> dx: i32;

fn prepareInputs() {
  let firstPosition = firstTilePosition + invocation % THREADS_ALONG_POSITIONS;
  let lanes = vec4u(0u, 1u, 2u, 3u) * THREADS_ALONG_POSITIONS;
  // unroll: literal indices into top, left and corner (src/backends/webgpu/unroll.ts).
  for (var v = 0u; v < POSITION_VECTORS; v++) {
    let q = min(vec4u(firstPosition + v * 4u * THREADS_ALONG_POSITIONS) + lanes, vec4u(positions - 1u));
    let spatial = q % plane;
    top[v] = vec4i(spatial / shape.OW * shape.SH) - i32(shape.PH);
    left[v] = vec4i(spatial % shape.OW * shape.SW) - i32(shape.PW);
    corner[v] = vec4i(q / plane * shape.C * shape.H * shape.W) + top[v] * i32(shape.W) + left[v];
  }
}

// The inputs are read column by column in loadColumn.
fn loadInputBlock(block: u32) {}

fn chunkReady() {}

fn loadColumn(bit: u32) {
  let height = vec4i(i32(shape.H));
  let width = vec4i(i32(shape.W));
  // unroll: literal indices into xs and the window arrays.
  for (var v = 0u; v < POSITION_VECTORS; v++) {
    let y = top[v] + dy;
    let x = left[v] + dx;
    let inside = (y >= vec4i(0)) & (y < height) & (x >= vec4i(0)) & (x < width);
    // Cells outside the image are padding (zero); their index is clamped only to stay a valid read.
    let index = vec4u(max(corner[v] + channelOffset + dy * i32(shape.W) + dx, vec4i(0)));
    xs[v] = select(vec4f(0.0), vec4f(input[index.x], input[index.y], input[index.z], input[index.w]), inside);
  }
  dx++;
  if (dx == i32(shape.KW)) {
    dx = 0i;
    dy++;
    if (dy == i32(shape.KH)) {
      dy = 0i;
      channelOffset += i32(shape.H * shape.W);
    }
  }
}
