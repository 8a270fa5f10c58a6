// Part of the hooks' public surface; the maths lives in lib/colors.
export { getProgressColor } from '../lib/colors';
