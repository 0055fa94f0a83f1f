; kLoweringVersion 4
; ModuleID = 'parcours.every_path'
source_filename = "parcours.every_path"

@pc_str0 = private unnamed_addr constant [4 x i8] c"text", align 1
@pc_functions = constant [8 x ptr] [ptr @pc_fn0, ptr @pc_fn1, ptr @pc_fn2, ptr @pc_fn3, ptr @pc_fn4, ptr @pc_fn5, ptr @pc_fn6, ptr @pc_fn7]

; Function Attrs: nounwind willreturn memory(none)
declare i64 @parcours_decimal_mul(i64, i64) #0

; Function Attrs: nounwind willreturn memory(none)
declare i64 @parcours_decimal_div(i64, i64) #0

; Function Attrs: nounwind willreturn memory(argmem: read)
declare i64 @parcours_string_compare(ptr, i64, ptr, i64) #1

; Function Attrs: nounwind willreturn memory(argmem: read, inaccessiblemem: readwrite)
declare i64 @parcours_local_day(i64, ptr, i64) #2

; Function Attrs: nounwind willreturn memory(argmem: read, inaccessiblemem: readwrite)
declare i64 @parcours_day_start(i64, ptr, i64) #2

; Function Attrs: nounwind
define internal i64 @pc_fn0(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %1, align 8
  %v2 = add i64 %v0, %v1
  %v3 = sub i64 %v0, %v1
  %v4 = mul i64 %v0, %v1
  %2 = icmp eq i64 %v1, 0
  %3 = icmp eq i64 %v1, -1
  %4 = or i1 %2, %3
  %5 = select i1 %4, i64 1, i64 %v1
  %6 = sdiv i64 %v0, %5
  %7 = sub i64 0, %v0
  %8 = select i1 %3, i64 %7, i64 %6
  %v5 = select i1 %2, i64 0, i64 %8
  %v6 = sub i64 0, %v0
  %9 = icmp eq i64 %v0, %v1
  %v7 = zext i1 %9 to i64
  %10 = icmp ne i64 %v0, %v1
  %v8 = zext i1 %10 to i64
  %11 = icmp slt i64 %v0, %v1
  %v9 = zext i1 %11 to i64
  %12 = icmp sle i64 %v0, %v1
  %v10 = zext i1 %12 to i64
  %13 = icmp sgt i64 %v0, %v1
  %v11 = zext i1 %13 to i64
  %14 = icmp sge i64 %v0, %v1
  %v12 = zext i1 %14 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn1(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %1, align 8
  %v2 = add i64 %v0, %v1
  %v3 = sub i64 %v0, %v1
  %v4 = mul i64 %v0, %v1
  %2 = icmp eq i64 %v1, 0
  %3 = icmp eq i64 %v1, -1
  %4 = or i1 %2, %3
  %5 = select i1 %4, i64 1, i64 %v1
  %6 = sdiv i64 %v0, %5
  %7 = sub i64 0, %v0
  %8 = select i1 %3, i64 %7, i64 %6
  %v5 = select i1 %2, i64 0, i64 %8
  %v6 = sub i64 0, %v0
  %9 = icmp eq i64 %v0, %v1
  %v7 = zext i1 %9 to i64
  %10 = icmp ne i64 %v0, %v1
  %v8 = zext i1 %10 to i64
  %11 = icmp slt i64 %v0, %v1
  %v9 = zext i1 %11 to i64
  %12 = icmp sle i64 %v0, %v1
  %v10 = zext i1 %12 to i64
  %13 = icmp sgt i64 %v0, %v1
  %v11 = zext i1 %13 to i64
  %14 = icmp sge i64 %v0, %v1
  %v12 = zext i1 %14 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn2(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %1, align 8
  %v2 = add i64 %v0, %v1
  %v3 = sub i64 %v0, %v1
  %v4 = call i64 @parcours_decimal_mul(i64 %v0, i64 %v1)
  %v5 = call i64 @parcours_decimal_div(i64 %v0, i64 %v1)
  %v6 = sub i64 0, %v0
  %2 = icmp eq i64 %v0, %v1
  %v7 = zext i1 %2 to i64
  %3 = icmp ne i64 %v0, %v1
  %v8 = zext i1 %3 to i64
  %4 = icmp slt i64 %v0, %v1
  %v9 = zext i1 %4 to i64
  %5 = icmp sle i64 %v0, %v1
  %v10 = zext i1 %5 to i64
  %6 = icmp sgt i64 %v0, %v1
  %v11 = zext i1 %6 to i64
  %7 = icmp sge i64 %v0, %v1
  %v12 = zext i1 %7 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn3(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %event, i64 1
  %v0.1 = load i64, ptr %1, align 8
  %2 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %2, align 8
  %3 = getelementptr i64, ptr %profile, i64 3
  %v1.1 = load i64, ptr %3, align 8
  %v2 = add i64 %v0, %v1
  %4 = icmp eq i64 %v1.1, 0
  %5 = select i1 %4, i64 %v0.1, i64 -1
  %6 = icmp eq i64 %v0.1, 0
  %7 = select i1 %6, i64 %v1.1, i64 %5
  %8 = icmp eq i64 %v0.1, %v1.1
  %v2.1 = select i1 %8, i64 %v0.1, i64 %7
  %v3 = sub i64 %v0, %v1
  %9 = icmp eq i64 %v1.1, 0
  %10 = select i1 %9, i64 %v0.1, i64 -1
  %11 = icmp eq i64 %v0.1, 0
  %12 = select i1 %11, i64 %v1.1, i64 %10
  %13 = icmp eq i64 %v0.1, %v1.1
  %v3.1 = select i1 %13, i64 %v0.1, i64 %12
  %v4 = call i64 @parcours_decimal_mul(i64 %v0, i64 %v1)
  %v5 = call i64 @parcours_decimal_div(i64 %v0, i64 %v1)
  %v6 = sub i64 0, %v0
  %14 = icmp eq i64 %v0, %v1
  %15 = icmp eq i64 %v1.1, 0
  %16 = icmp eq i64 %v0.1, 0
  %17 = or i1 %16, %15
  %18 = icmp eq i64 %v0.1, %v1.1
  %19 = or i1 %18, %17
  %20 = icmp ne i64 %v1.1, -1
  %21 = icmp ne i64 %v0.1, -1
  %22 = and i1 %21, %20
  %23 = and i1 %19, %22
  %24 = and i1 %14, %23
  %v7 = zext i1 %24 to i64
  %25 = icmp ne i64 %v0, %v1
  %26 = icmp eq i64 %v1.1, 0
  %27 = icmp eq i64 %v0.1, 0
  %28 = or i1 %27, %26
  %29 = icmp eq i64 %v0.1, %v1.1
  %30 = or i1 %29, %28
  %31 = icmp ne i64 %v1.1, -1
  %32 = icmp ne i64 %v0.1, -1
  %33 = and i1 %32, %31
  %34 = and i1 %30, %33
  %35 = and i1 %25, %34
  %v8 = zext i1 %35 to i64
  %36 = icmp slt i64 %v0, %v1
  %37 = icmp eq i64 %v1.1, 0
  %38 = icmp eq i64 %v0.1, 0
  %39 = or i1 %38, %37
  %40 = icmp eq i64 %v0.1, %v1.1
  %41 = or i1 %40, %39
  %42 = icmp ne i64 %v1.1, -1
  %43 = icmp ne i64 %v0.1, -1
  %44 = and i1 %43, %42
  %45 = and i1 %41, %44
  %46 = and i1 %36, %45
  %v9 = zext i1 %46 to i64
  %47 = icmp sle i64 %v0, %v1
  %48 = icmp eq i64 %v1.1, 0
  %49 = icmp eq i64 %v0.1, 0
  %50 = or i1 %49, %48
  %51 = icmp eq i64 %v0.1, %v1.1
  %52 = or i1 %51, %50
  %53 = icmp ne i64 %v1.1, -1
  %54 = icmp ne i64 %v0.1, -1
  %55 = and i1 %54, %53
  %56 = and i1 %52, %55
  %57 = and i1 %47, %56
  %v10 = zext i1 %57 to i64
  %58 = icmp sgt i64 %v0, %v1
  %59 = icmp eq i64 %v1.1, 0
  %60 = icmp eq i64 %v0.1, 0
  %61 = or i1 %60, %59
  %62 = icmp eq i64 %v0.1, %v1.1
  %63 = or i1 %62, %61
  %64 = icmp ne i64 %v1.1, -1
  %65 = icmp ne i64 %v0.1, -1
  %66 = and i1 %65, %64
  %67 = and i1 %63, %66
  %68 = and i1 %58, %67
  %v11 = zext i1 %68 to i64
  %69 = icmp sge i64 %v0, %v1
  %70 = icmp eq i64 %v1.1, 0
  %71 = icmp eq i64 %v0.1, 0
  %72 = or i1 %71, %70
  %73 = icmp eq i64 %v0.1, %v1.1
  %74 = or i1 %73, %72
  %75 = icmp ne i64 %v1.1, -1
  %76 = icmp ne i64 %v0.1, -1
  %77 = and i1 %76, %75
  %78 = and i1 %74, %77
  %79 = and i1 %69, %78
  %v12 = zext i1 %79 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn4(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %1, align 8
  %v2 = add i64 %v0, %v1
  %v3 = sub i64 %v0, %v1
  %v4 = mul i64 %v0, %v1
  %2 = icmp eq i64 %v1, 0
  %3 = icmp eq i64 %v1, -1
  %4 = or i1 %2, %3
  %5 = select i1 %4, i64 1, i64 %v1
  %6 = sdiv i64 %v0, %5
  %7 = sub i64 0, %v0
  %8 = select i1 %3, i64 %7, i64 %6
  %v5 = select i1 %2, i64 0, i64 %8
  %v6 = sub i64 0, %v0
  %9 = icmp eq i64 %v0, %v1
  %v7 = zext i1 %9 to i64
  %10 = icmp ne i64 %v0, %v1
  %v8 = zext i1 %10 to i64
  %11 = icmp slt i64 %v0, %v1
  %v9 = zext i1 %11 to i64
  %12 = icmp sle i64 %v0, %v1
  %v10 = zext i1 %12 to i64
  %13 = icmp sgt i64 %v0, %v1
  %v11 = zext i1 %13 to i64
  %14 = icmp sge i64 %v0, %v1
  %v12 = zext i1 %14 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn5(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %1, align 8
  %v2 = add i64 %v0, %v1
  %v3 = sub i64 %v0, %v1
  %v4 = mul i64 %v0, %v1
  %2 = icmp eq i64 %v1, 0
  %3 = icmp eq i64 %v1, -1
  %4 = or i1 %2, %3
  %5 = select i1 %4, i64 1, i64 %v1
  %6 = sdiv i64 %v0, %5
  %7 = sub i64 0, %v0
  %8 = select i1 %3, i64 %7, i64 %6
  %v5 = select i1 %2, i64 0, i64 %8
  %v6 = sub i64 0, %v0
  %9 = icmp eq i64 %v0, %v1
  %v7 = zext i1 %9 to i64
  %10 = icmp ne i64 %v0, %v1
  %v8 = zext i1 %10 to i64
  %11 = icmp slt i64 %v0, %v1
  %v9 = zext i1 %11 to i64
  %12 = icmp sle i64 %v0, %v1
  %v10 = zext i1 %12 to i64
  %13 = icmp sgt i64 %v0, %v1
  %v11 = zext i1 %13 to i64
  %14 = icmp sge i64 %v0, %v1
  %v12 = zext i1 %14 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn6(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %event, i64 1
  %v0.1 = load i64, ptr %1, align 8
  %2 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %2, align 8
  %3 = getelementptr i64, ptr %profile, i64 3
  %v1.1 = load i64, ptr %3, align 8
  %v2 = add i64 %v0, %v1
  %v3 = sub i64 %v0, %v1
  %v4 = mul i64 %v0, %v1
  %4 = icmp eq i64 %v1, 0
  %5 = icmp eq i64 %v1, -1
  %6 = or i1 %4, %5
  %7 = select i1 %6, i64 1, i64 %v1
  %8 = sdiv i64 %v0, %7
  %9 = sub i64 0, %v0
  %10 = select i1 %5, i64 %9, i64 %8
  %v5 = select i1 %4, i64 0, i64 %10
  %v6 = sub i64 0, %v0
  %11 = inttoptr i64 %v0 to ptr
  %12 = inttoptr i64 %v1 to ptr
  %13 = call i64 @parcours_string_compare(ptr %11, i64 %v0.1, ptr %12, i64 %v1.1)
  %14 = icmp eq i64 %13, 0
  %v7 = zext i1 %14 to i64
  %15 = inttoptr i64 %v0 to ptr
  %16 = inttoptr i64 %v1 to ptr
  %17 = call i64 @parcours_string_compare(ptr %15, i64 %v0.1, ptr %16, i64 %v1.1)
  %18 = icmp ne i64 %17, 0
  %v8 = zext i1 %18 to i64
  %19 = inttoptr i64 %v0 to ptr
  %20 = inttoptr i64 %v1 to ptr
  %21 = call i64 @parcours_string_compare(ptr %19, i64 %v0.1, ptr %20, i64 %v1.1)
  %22 = icmp slt i64 %21, 0
  %v9 = zext i1 %22 to i64
  %23 = inttoptr i64 %v0 to ptr
  %24 = inttoptr i64 %v1 to ptr
  %25 = call i64 @parcours_string_compare(ptr %23, i64 %v0.1, ptr %24, i64 %v1.1)
  %26 = icmp sle i64 %25, 0
  %v10 = zext i1 %26 to i64
  %27 = inttoptr i64 %v0 to ptr
  %28 = inttoptr i64 %v1 to ptr
  %29 = call i64 @parcours_string_compare(ptr %27, i64 %v0.1, ptr %28, i64 %v1.1)
  %30 = icmp sgt i64 %29, 0
  %v11 = zext i1 %30 to i64
  %31 = inttoptr i64 %v0 to ptr
  %32 = inttoptr i64 %v1 to ptr
  %33 = call i64 @parcours_string_compare(ptr %31, i64 %v0.1, ptr %32, i64 %v1.1)
  %34 = icmp sge i64 %33, 0
  %v12 = zext i1 %34 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn7(ptr %profile, ptr %event, ptr %locals, i64 %now) #3 {
entry:
  %0 = call i64 @parcours_string_compare(ptr @pc_str0, i64 4, ptr @pc_str0, i64 4)
  %1 = icmp eq i64 %0, 0
  %v3 = zext i1 %1 to i64
  %2 = getelementptr i64, ptr %locals, i64 3
  %v4.word = load i64, ptr %2, align 8
  %3 = icmp ne i64 %v4.word, 0
  %v4 = zext i1 %3 to i64
  %v7 = sub i64 %now, 7
  %4 = sdiv i64 %v7, 86400
  %5 = srem i64 %v7, 86400
  %6 = icmp slt i64 %v7, 0
  %7 = icmp ne i64 %5, 0
  %8 = and i1 %7, %6
  %9 = zext i1 %8 to i64
  %v8 = sub i64 %4, %9
  %v10 = call i64 @parcours_local_day(i64 %now, ptr @pc_str0, i64 4)
  %v11 = call i64 @parcours_day_start(i64 %v10, ptr @pc_str0, i64 4)
  %v13 = and i64 %v4, 1
  %v14 = or i64 %v4, 1
  %v18 = and i64 %v4, 0
  ret i64 %v18
}

attributes #0 = { nounwind willreturn memory(none) }
attributes #1 = { nounwind willreturn memory(argmem: read) }
attributes #2 = { nounwind willreturn memory(argmem: read, inaccessiblemem: readwrite) }
attributes #3 = { nounwind }
