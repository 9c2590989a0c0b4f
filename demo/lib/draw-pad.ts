/**
 * A square drawing surface in MNIST's style: thick white strokes on black. Mouse, pen and touch all arrive as
 * pointer events; `onChange` fires at most once per animation frame while drawing.
 */
export class DrawPad {
  readonly canvas: HTMLCanvasElement;
  readonly #context: CanvasRenderingContext2D;
  #last: { x: number; y: number } | undefined;
  #frame = 0;
  #empty = true;

  constructor(canvas: HTMLCanvasElement, onChange: () => void) {
    this.canvas = canvas;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('2D canvas unavailable');
    this.#context = context;
    this.clear();
    const changed = () => {
      cancelAnimationFrame(this.#frame);
      this.#frame = requestAnimationFrame(onChange);
    };
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.#last = this.#point(event);
      this.#stroke(this.#last, this.#last);
      changed();
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!this.#last) return;
      const point = this.#point(event);
      this.#stroke(this.#last, point);
      this.#last = point;
      changed();
    });
    const end = () => (this.#last = undefined);
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  get isEmpty(): boolean {
    return this.#empty;
  }

  /** For pictures painted onto the canvas from outside (gallery digits). */
  markDrawn(): void {
    this.#empty = false;
  }

  clear(): void {
    this.#context.fillStyle = '#000';
    this.#context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.#empty = true;
  }

  /** Pointer position in canvas pixels, whatever size CSS gives the canvas. */
  #point(event: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  #stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const context = this.#context;
    context.strokeStyle = '#fff';
    context.lineCap = 'round';
    context.lineJoin = 'round';
    // About MNIST's stroke width relative to the digit's 20-pixel box.
    context.lineWidth = this.canvas.width / 14;
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
    this.#empty = false;
  }
}
