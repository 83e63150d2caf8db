# Faults against memory size for each policy and MIN, one panel per pattern,
# from pagesim's CSV: gnuplot -e "csv='build/pagesim.csv'; out='docs/pagesim.png'" tools/pagesim/plot.gp
set datafile separator ','
set terminal pngcairo size 1200,900 font ',11' noenhanced
set output out
set multiplot layout 2,2 title 'Major faults against memory size (pagesim; lower is better; MIN is the optimum)'
set xlabel 'frames of memory'
set ylabel 'major faults'
set key top right
set grid
pol(p, name, y) = (strcol(1) eq p && strcol(3) eq name) ? column(y) : 1/0
do for [p in 'seq uniform hotcold scan'] {
    set title p
    plot for [name in 'MIN clock fifo twoq'] csv using 2:(pol(p, name, 4)) with linespoints title name
}
unset multiplot
