/**
 * Preloaded (node --require) into Lambda child processes: makes Date and timers run on the emulator's clock, so the
 * unmodified handler sees emulated time and its SDK retry back-off waits emulated time too.
 * Emulated now = EMULATOR_EPOCH_MS + (real now - EMULATOR_REAL_START_MS) * EMULATOR_TIME_SCALE.
 */
const epoch = Number(process.env.EMULATOR_EPOCH_MS);
const realStart = Number(process.env.EMULATOR_REAL_START_MS);
const scale = Number(process.env.EMULATOR_TIME_SCALE);
if (epoch && realStart && scale) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const emulatedNow = () => Math.floor(epoch + (realNow() - realStart) * scale);
  // A function, not a class, so that `Date()` called without `new` (a string of now) keeps working.
  function EmulatedDate(...args) {
    if (!new.target) return new RealDate(emulatedNow()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [emulatedNow()] : args, new.target);
  }
  Object.setPrototypeOf(EmulatedDate, RealDate);
  EmulatedDate.prototype = RealDate.prototype;
  EmulatedDate.now = emulatedNow;
  globalThis.Date = EmulatedDate;
  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  globalThis.setTimeout = (fn, ms, ...rest) => realSetTimeout(fn, (Number(ms) || 0) / scale, ...rest);
  globalThis.setInterval = (fn, ms, ...rest) => realSetInterval(fn, (Number(ms) || 0) / scale, ...rest);
}
