// Entry of dist/ocits.js: the command line, loaded the ordinary way.
import { main } from './main';
import { configureKoffiLoading } from '../sys/koffi';

configureKoffiLoading({ distDir: __dirname });

void main(process.argv);
