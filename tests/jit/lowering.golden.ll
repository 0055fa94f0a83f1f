; kLoweringVersion 13
; ModuleID = 'parcours.every_path'
source_filename = "parcours.every_path"

@pc_str0 = private unnamed_addr constant [4 x i8] c"text", align 1
@pc_set0 = private unnamed_addr constant [4 x i64] [i64 0, i64 1, i64 2, i64 6], align 8
@pc_set0.bytes = private unnamed_addr constant [6 x i8] c"abtext", align 1
@pc_set1 = private unnamed_addr constant [2 x i64] [i64 1, i64 3], align 8
@pc_functions = constant [11 x ptr] [ptr @pc_fn0, ptr @pc_fn1, ptr @pc_fn2, ptr @pc_fn3, ptr @pc_fn4, ptr @pc_fn5, ptr @pc_fn6, ptr @pc_fn7, ptr @pc_segments0, ptr @pc_segments1, ptr @pc_segments2]

; Function Attrs: nounwind willreturn memory(none)
declare i64 @parcours_decimal_mul(i64, i64) #0

; Function Attrs: nounwind willreturn memory(none)
declare i64 @parcours_decimal_div(i64, i64) #0

; Function Attrs: nounwind willreturn memory(none)
declare i64 @parcours_speed_kmh(i64, i64) #0

; Function Attrs: nounwind willreturn memory(none)
declare i64 @parcours_distance_km(i64, i64, i64, i64) #0

; Function Attrs: nounwind willreturn memory(argmem: read)
declare i64 @parcours_string_compare(ptr, i64, ptr, i64) #1

; Function Attrs: nounwind willreturn memory(argmem: read, inaccessiblemem: readwrite)
declare i64 @parcours_local_day(i64, ptr, i64) #2

; Function Attrs: nounwind willreturn memory(argmem: read, inaccessiblemem: readwrite)
declare i64 @parcours_day_start(i64, ptr, i64) #2

; Function Attrs: nounwind willreturn memory(argmem: read, inaccessiblemem: readwrite)
declare i64 @parcours_add_calendar(i64, i64, i64, ptr, i64) #2

; Function Attrs: nounwind willreturn memory(none)
declare i64 @parcours_add_calendar_to_date(i64, i64, i64) #0

; Function Attrs: nounwind willreturn memory(read)
declare i64 @parcours_list_contains(ptr, i64, i64, i64, i64) #3

; Function Attrs: nounwind willreturn memory(argmem: read)
declare i64 @parcours_words_contain(ptr, i64, i64) #1

; Function Attrs: nounwind willreturn memory(read)
declare i64 @parcours_strings_contain(ptr, i64, ptr, ptr, i64) #3

; Function Attrs: nounwind
define internal i64 @pc_fn0(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
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
define internal i64 @pc_fn1(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
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
define internal i64 @pc_fn2(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %profile, i64 2
  %v1 = load i64, ptr %1, align 8
  %v2 = add i64 %v0, %v1
  %v3 = sub i64 %v0, %v1
  %2 = call { i64, i1 } @llvm.smul.with.overflow.i64(i64 %v0, i64 %v1)
  %3 = extractvalue { i64, i1 } %2, 1
  br i1 %3, label %v4.slow, label %v4.fast

v4.fast:                                          ; preds = %entry
  %4 = mul nsw i64 %v0, %v1
  %5 = sdiv i64 %4, 1000000
  br label %v4.join

v4.slow:                                          ; preds = %entry
  %v4.call = call i64 @parcours_decimal_mul(i64 %v0, i64 %v1)
  br label %v4.join

v4.join:                                          ; preds = %v4.slow, %v4.fast
  %v4 = phi i64 [ %5, %v4.fast ], [ %v4.call, %v4.slow ]
  %6 = call { i64, i1 } @llvm.smul.with.overflow.i64(i64 %v0, i64 1000000)
  %7 = extractvalue { i64, i1 } %6, 1
  %8 = icmp eq i64 %v1, 0
  %9 = or i1 %7, %8
  br i1 %9, label %v5.slow, label %v5.fast

v5.fast:                                          ; preds = %v4.join
  %10 = mul nsw i64 %v0, 1000000
  %11 = sdiv i64 %10, %v1
  br label %v5.join

v5.slow:                                          ; preds = %v4.join
  %v5.call = call i64 @parcours_decimal_div(i64 %v0, i64 %v1)
  br label %v5.join

v5.join:                                          ; preds = %v5.slow, %v5.fast
  %v5 = phi i64 [ %11, %v5.fast ], [ %v5.call, %v5.slow ]
  %v6 = sub i64 0, %v0
  %12 = icmp eq i64 %v0, %v1
  %v7 = zext i1 %12 to i64
  %13 = icmp ne i64 %v0, %v1
  %v8 = zext i1 %13 to i64
  %14 = icmp slt i64 %v0, %v1
  %v9 = zext i1 %14 to i64
  %15 = icmp sle i64 %v0, %v1
  %v10 = zext i1 %15 to i64
  %16 = icmp sgt i64 %v0, %v1
  %v11 = zext i1 %16 to i64
  %17 = icmp sge i64 %v0, %v1
  %v12 = zext i1 %17 to i64
  ret i64 %v12
}

; Function Attrs: nocallback nofree nosync nounwind speculatable willreturn memory(none)
declare { i64, i1 } @llvm.smul.with.overflow.i64(i64, i64) #5

; Function Attrs: nounwind
define internal i64 @pc_fn3(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
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
  %14 = call { i64, i1 } @llvm.smul.with.overflow.i64(i64 %v0, i64 %v1)
  %15 = extractvalue { i64, i1 } %14, 1
  br i1 %15, label %v4.slow, label %v4.fast

v4.fast:                                          ; preds = %entry
  %16 = mul nsw i64 %v0, %v1
  %17 = sdiv i64 %16, 1000000
  br label %v4.join

v4.slow:                                          ; preds = %entry
  %v4.call = call i64 @parcours_decimal_mul(i64 %v0, i64 %v1)
  br label %v4.join

v4.join:                                          ; preds = %v4.slow, %v4.fast
  %v4 = phi i64 [ %17, %v4.fast ], [ %v4.call, %v4.slow ]
  %18 = call { i64, i1 } @llvm.smul.with.overflow.i64(i64 %v0, i64 1000000)
  %19 = extractvalue { i64, i1 } %18, 1
  %20 = icmp eq i64 %v1, 0
  %21 = or i1 %19, %20
  br i1 %21, label %v5.slow, label %v5.fast

v5.fast:                                          ; preds = %v4.join
  %22 = mul nsw i64 %v0, 1000000
  %23 = sdiv i64 %22, %v1
  br label %v5.join

v5.slow:                                          ; preds = %v4.join
  %v5.call = call i64 @parcours_decimal_div(i64 %v0, i64 %v1)
  br label %v5.join

v5.join:                                          ; preds = %v5.slow, %v5.fast
  %v5 = phi i64 [ %23, %v5.fast ], [ %v5.call, %v5.slow ]
  %v6 = sub i64 0, %v0
  %24 = icmp eq i64 %v0, %v1
  %25 = icmp eq i64 %v1.1, 0
  %26 = icmp eq i64 %v0.1, 0
  %27 = or i1 %26, %25
  %28 = icmp eq i64 %v0.1, %v1.1
  %29 = or i1 %28, %27
  %30 = icmp ne i64 %v1.1, -1
  %31 = icmp ne i64 %v0.1, -1
  %32 = and i1 %31, %30
  %33 = and i1 %29, %32
  %34 = and i1 %24, %33
  %v7 = zext i1 %34 to i64
  %35 = icmp ne i64 %v0, %v1
  %36 = icmp eq i64 %v1.1, 0
  %37 = icmp eq i64 %v0.1, 0
  %38 = or i1 %37, %36
  %39 = icmp eq i64 %v0.1, %v1.1
  %40 = or i1 %39, %38
  %41 = icmp ne i64 %v1.1, -1
  %42 = icmp ne i64 %v0.1, -1
  %43 = and i1 %42, %41
  %44 = and i1 %40, %43
  %45 = and i1 %35, %44
  %v8 = zext i1 %45 to i64
  %46 = icmp slt i64 %v0, %v1
  %47 = icmp eq i64 %v1.1, 0
  %48 = icmp eq i64 %v0.1, 0
  %49 = or i1 %48, %47
  %50 = icmp eq i64 %v0.1, %v1.1
  %51 = or i1 %50, %49
  %52 = icmp ne i64 %v1.1, -1
  %53 = icmp ne i64 %v0.1, -1
  %54 = and i1 %53, %52
  %55 = and i1 %51, %54
  %56 = and i1 %46, %55
  %v9 = zext i1 %56 to i64
  %57 = icmp sle i64 %v0, %v1
  %58 = icmp eq i64 %v1.1, 0
  %59 = icmp eq i64 %v0.1, 0
  %60 = or i1 %59, %58
  %61 = icmp eq i64 %v0.1, %v1.1
  %62 = or i1 %61, %60
  %63 = icmp ne i64 %v1.1, -1
  %64 = icmp ne i64 %v0.1, -1
  %65 = and i1 %64, %63
  %66 = and i1 %62, %65
  %67 = and i1 %57, %66
  %v10 = zext i1 %67 to i64
  %68 = icmp sgt i64 %v0, %v1
  %69 = icmp eq i64 %v1.1, 0
  %70 = icmp eq i64 %v0.1, 0
  %71 = or i1 %70, %69
  %72 = icmp eq i64 %v0.1, %v1.1
  %73 = or i1 %72, %71
  %74 = icmp ne i64 %v1.1, -1
  %75 = icmp ne i64 %v0.1, -1
  %76 = and i1 %75, %74
  %77 = and i1 %73, %76
  %78 = and i1 %68, %77
  %v11 = zext i1 %78 to i64
  %79 = icmp sge i64 %v0, %v1
  %80 = icmp eq i64 %v1.1, 0
  %81 = icmp eq i64 %v0.1, 0
  %82 = or i1 %81, %80
  %83 = icmp eq i64 %v0.1, %v1.1
  %84 = or i1 %83, %82
  %85 = icmp ne i64 %v1.1, -1
  %86 = icmp ne i64 %v0.1, -1
  %87 = and i1 %86, %85
  %88 = and i1 %84, %87
  %89 = and i1 %79, %88
  %v12 = zext i1 %89 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn4(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
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
define internal i64 @pc_fn5(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
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
define internal i64 @pc_fn6(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
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
  %11 = icmp eq i64 %v0.1, %v1.1
  br i1 %11, label %streq.bytes, label %streq.join

streq.bytes:                                      ; preds = %entry
  %12 = inttoptr i64 %v0 to ptr
  %13 = inttoptr i64 %v1 to ptr
  %14 = call i64 @parcours_string_compare(ptr %12, i64 %v0.1, ptr %13, i64 %v1.1)
  %15 = icmp eq i64 %14, 0
  br label %streq.join

streq.join:                                       ; preds = %streq.bytes, %entry
  %streq = phi i1 [ false, %entry ], [ %15, %streq.bytes ]
  %v7 = zext i1 %streq to i64
  %16 = icmp eq i64 %v0.1, %v1.1
  br i1 %16, label %streq.bytes1, label %streq.join2

streq.bytes1:                                     ; preds = %streq.join
  %17 = inttoptr i64 %v0 to ptr
  %18 = inttoptr i64 %v1 to ptr
  %19 = call i64 @parcours_string_compare(ptr %17, i64 %v0.1, ptr %18, i64 %v1.1)
  %20 = icmp eq i64 %19, 0
  br label %streq.join2

streq.join2:                                      ; preds = %streq.bytes1, %streq.join
  %streq3 = phi i1 [ false, %streq.join ], [ %20, %streq.bytes1 ]
  %21 = xor i1 %streq3, true
  %v8 = zext i1 %21 to i64
  %22 = inttoptr i64 %v0 to ptr
  %23 = inttoptr i64 %v1 to ptr
  %24 = call i64 @parcours_string_compare(ptr %22, i64 %v0.1, ptr %23, i64 %v1.1)
  %25 = icmp slt i64 %24, 0
  %v9 = zext i1 %25 to i64
  %26 = inttoptr i64 %v0 to ptr
  %27 = inttoptr i64 %v1 to ptr
  %28 = call i64 @parcours_string_compare(ptr %26, i64 %v0.1, ptr %27, i64 %v1.1)
  %29 = icmp sle i64 %28, 0
  %v10 = zext i1 %29 to i64
  %30 = inttoptr i64 %v0 to ptr
  %31 = inttoptr i64 %v1 to ptr
  %32 = call i64 @parcours_string_compare(ptr %30, i64 %v0.1, ptr %31, i64 %v1.1)
  %33 = icmp sgt i64 %32, 0
  %v11 = zext i1 %33 to i64
  %34 = inttoptr i64 %v0 to ptr
  %35 = inttoptr i64 %v1 to ptr
  %36 = call i64 @parcours_string_compare(ptr %34, i64 %v0.1, ptr %35, i64 %v1.1)
  %37 = icmp sge i64 %36, 0
  %v12 = zext i1 %37 to i64
  ret i64 %v12
}

; Function Attrs: nounwind
define internal i64 @pc_fn7(ptr %profile, ptr %event, ptr %locals, i64 %now) #4 {
entry:
  br i1 true, label %streq.bytes, label %streq.join

streq.bytes:                                      ; preds = %entry
  %0 = load i32, ptr @pc_str0, align 1
  %1 = load i32, ptr @pc_str0, align 1
  %2 = icmp eq i32 %0, %1
  %3 = and i1 true, %2
  br label %streq.join

streq.join:                                       ; preds = %streq.bytes, %entry
  %streq = phi i1 [ false, %entry ], [ %3, %streq.bytes ]
  %v5 = zext i1 %streq to i64
  %4 = getelementptr i64, ptr %locals, i64 3
  %v6.word = load i64, ptr %4, align 8
  %5 = icmp ne i64 %v6.word, 0
  %v6 = zext i1 %5 to i64
  %v9 = sub i64 %now, 7
  %6 = sdiv i64 %v9, 86400
  %7 = srem i64 %v9, 86400
  %8 = icmp slt i64 %v9, 0
  %9 = icmp ne i64 %7, 0
  %10 = and i1 %9, %8
  %11 = zext i1 %10 to i64
  %v10 = sub i64 %6, %11
  %v12 = call i64 @parcours_local_day(i64 %now, ptr @pc_str0, i64 4)
  %v13 = call i64 @parcours_day_start(i64 %v12, ptr @pc_str0, i64 4)
  %v15 = call i64 @parcours_add_calendar(i64 %now, i64 -1, i64 2, ptr @pc_str0, i64 4)
  %v16 = call i64 @parcours_add_calendar_to_date(i64 %v12, i64 2, i64 3)
  %12 = getelementptr i64, ptr %event, i64 0
  %v17 = load i64, ptr %12, align 8
  %13 = getelementptr i64, ptr %event, i64 1
  %v17.1 = load i64, ptr %13, align 8
  %14 = inttoptr i64 %v17 to ptr
  %v18 = call i64 @parcours_list_contains(ptr %14, i64 %v17.1, i64 ptrtoint (ptr @pc_str0 to i64), i64 4, i64 0)
  %15 = inttoptr i64 %v17 to ptr
  %v20 = call i64 @parcours_list_contains(ptr %15, i64 %v17.1, i64 42, i64 0, i64 1)
  %v21 = call i64 @parcours_strings_contain(ptr @pc_set0, i64 3, ptr @pc_set0.bytes, ptr @pc_str0, i64 4)
  %16 = getelementptr i64, ptr %event, i64 1
  %v22 = load i64, ptr %16, align 8
  %v23 = call i64 @parcours_words_contain(ptr @pc_set1, i64 2, i64 %v22)
  %v25 = and i64 %v6, 1
  %v26 = or i64 %v6, 1
  %v30 = and i64 %v6, 0
  ret i64 %v30
}

; Function Attrs: nounwind
define internal void @pc_segments0(ptr %profile, ptr %event, ptr %locals, i64 %now, ptr %members) #4 {
entry:
  %0 = getelementptr i64, ptr %event, i64 0
  %s0.v0 = load i64, ptr %0, align 8
  %1 = getelementptr i64, ptr %profile, i64 2
  %s0.v1 = load i64, ptr %1, align 8
  %s0.v2 = add i64 %s0.v0, %s0.v1
  %s0.v3 = sub i64 %s0.v0, %s0.v1
  %s0.v4 = mul i64 %s0.v0, %s0.v1
  %2 = icmp eq i64 %s0.v1, 0
  %3 = icmp eq i64 %s0.v1, -1
  %4 = or i1 %2, %3
  %5 = select i1 %4, i64 1, i64 %s0.v1
  %6 = sdiv i64 %s0.v0, %5
  %7 = sub i64 0, %s0.v0
  %8 = select i1 %3, i64 %7, i64 %6
  %s0.v5 = select i1 %2, i64 0, i64 %8
  %s0.v6 = sub i64 0, %s0.v0
  %9 = icmp eq i64 %s0.v0, %s0.v1
  %s0.v7 = zext i1 %9 to i64
  %10 = icmp ne i64 %s0.v0, %s0.v1
  %s0.v8 = zext i1 %10 to i64
  %11 = icmp slt i64 %s0.v0, %s0.v1
  %s0.v9 = zext i1 %11 to i64
  %12 = icmp sle i64 %s0.v0, %s0.v1
  %s0.v10 = zext i1 %12 to i64
  %13 = icmp sgt i64 %s0.v0, %s0.v1
  %s0.v11 = zext i1 %13 to i64
  %14 = icmp sge i64 %s0.v0, %s0.v1
  %s0.v12 = zext i1 %14 to i64
  %15 = icmp ne i64 %s0.v12, 0
  %16 = zext i1 %15 to i64
  br i1 true, label %streq.bytes, label %streq.join

streq.bytes:                                      ; preds = %entry
  %17 = load i32, ptr @pc_str0, align 1
  %18 = load i32, ptr @pc_str0, align 1
  %19 = icmp eq i32 %17, %18
  %20 = and i1 true, %19
  br label %streq.join

streq.join:                                       ; preds = %streq.bytes, %entry
  %streq = phi i1 [ false, %entry ], [ %20, %streq.bytes ]
  %s1.v5 = zext i1 %streq to i64
  %21 = getelementptr i64, ptr %locals, i64 3
  %s1.v6.word = load i64, ptr %21, align 8
  %22 = icmp ne i64 %s1.v6.word, 0
  %s1.v6 = zext i1 %22 to i64
  %s1.v9 = sub i64 %now, 7
  %23 = sdiv i64 %s1.v9, 86400
  %24 = srem i64 %s1.v9, 86400
  %25 = icmp slt i64 %s1.v9, 0
  %26 = icmp ne i64 %24, 0
  %27 = and i1 %26, %25
  %28 = zext i1 %27 to i64
  %s1.v10 = sub i64 %23, %28
  %s1.v12 = call i64 @parcours_local_day(i64 %now, ptr @pc_str0, i64 4)
  %s1.v13 = call i64 @parcours_day_start(i64 %s1.v12, ptr @pc_str0, i64 4)
  %s1.v15 = call i64 @parcours_add_calendar(i64 %now, i64 -1, i64 2, ptr @pc_str0, i64 4)
  %s1.v16 = call i64 @parcours_add_calendar_to_date(i64 %s1.v12, i64 2, i64 3)
  %29 = getelementptr i64, ptr %event, i64 0
  %s1.v17 = load i64, ptr %29, align 8
  %30 = getelementptr i64, ptr %event, i64 1
  %s1.v17.1 = load i64, ptr %30, align 8
  %31 = inttoptr i64 %s1.v17 to ptr
  %s1.v18 = call i64 @parcours_list_contains(ptr %31, i64 %s1.v17.1, i64 ptrtoint (ptr @pc_str0 to i64), i64 4, i64 0)
  %32 = inttoptr i64 %s1.v17 to ptr
  %s1.v20 = call i64 @parcours_list_contains(ptr %32, i64 %s1.v17.1, i64 42, i64 0, i64 1)
  %s1.v21 = call i64 @parcours_strings_contain(ptr @pc_set0, i64 3, ptr @pc_set0.bytes, ptr @pc_str0, i64 4)
  %33 = getelementptr i64, ptr %event, i64 1
  %s1.v22 = load i64, ptr %33, align 8
  %s1.v23 = call i64 @parcours_words_contain(ptr @pc_set1, i64 2, i64 %s1.v22)
  %s1.v25 = and i64 %s1.v6, 1
  %s1.v26 = or i64 %s1.v6, 1
  %s1.v30 = and i64 %s1.v6, 0
  %34 = icmp ne i64 %s1.v30, 0
  %35 = zext i1 %34 to i64
  %36 = getelementptr i64, ptr %members, i64 0
  store i64 %16, ptr %36, align 8
  %37 = getelementptr i64, ptr %members, i64 1
  store i64 %35, ptr %37, align 8
  ret void
}

; Function Attrs: nounwind
define internal void @pc_segments1(ptr %profile, ptr %event, ptr %locals, i64 %now, ptr %members) #4 {
entry:
  br i1 true, label %streq.bytes, label %streq.join

streq.bytes:                                      ; preds = %entry
  %0 = load i32, ptr @pc_str0, align 1
  %1 = load i32, ptr @pc_str0, align 1
  %2 = icmp eq i32 %0, %1
  %3 = and i1 true, %2
  br label %streq.join

streq.join:                                       ; preds = %streq.bytes, %entry
  %streq = phi i1 [ false, %entry ], [ %3, %streq.bytes ]
  %s1.v5 = zext i1 %streq to i64
  %4 = getelementptr i64, ptr %locals, i64 3
  %s1.v6.word = load i64, ptr %4, align 8
  %5 = icmp ne i64 %s1.v6.word, 0
  %s1.v6 = zext i1 %5 to i64
  %s1.v9 = sub i64 %now, 7
  %6 = sdiv i64 %s1.v9, 86400
  %7 = srem i64 %s1.v9, 86400
  %8 = icmp slt i64 %s1.v9, 0
  %9 = icmp ne i64 %7, 0
  %10 = and i1 %9, %8
  %11 = zext i1 %10 to i64
  %s1.v10 = sub i64 %6, %11
  %s1.v12 = call i64 @parcours_local_day(i64 %now, ptr @pc_str0, i64 4)
  %s1.v13 = call i64 @parcours_day_start(i64 %s1.v12, ptr @pc_str0, i64 4)
  %s1.v15 = call i64 @parcours_add_calendar(i64 %now, i64 -1, i64 2, ptr @pc_str0, i64 4)
  %s1.v16 = call i64 @parcours_add_calendar_to_date(i64 %s1.v12, i64 2, i64 3)
  %12 = getelementptr i64, ptr %event, i64 0
  %s1.v17 = load i64, ptr %12, align 8
  %13 = getelementptr i64, ptr %event, i64 1
  %s1.v17.1 = load i64, ptr %13, align 8
  %14 = inttoptr i64 %s1.v17 to ptr
  %s1.v18 = call i64 @parcours_list_contains(ptr %14, i64 %s1.v17.1, i64 ptrtoint (ptr @pc_str0 to i64), i64 4, i64 0)
  %15 = inttoptr i64 %s1.v17 to ptr
  %s1.v20 = call i64 @parcours_list_contains(ptr %15, i64 %s1.v17.1, i64 42, i64 0, i64 1)
  %s1.v21 = call i64 @parcours_strings_contain(ptr @pc_set0, i64 3, ptr @pc_set0.bytes, ptr @pc_str0, i64 4)
  %16 = getelementptr i64, ptr %event, i64 1
  %s1.v22 = load i64, ptr %16, align 8
  %s1.v23 = call i64 @parcours_words_contain(ptr @pc_set1, i64 2, i64 %s1.v22)
  %s1.v25 = and i64 %s1.v6, 1
  %s1.v26 = or i64 %s1.v6, 1
  %s1.v30 = and i64 %s1.v6, 0
  %17 = icmp ne i64 %s1.v30, 0
  %18 = zext i1 %17 to i64
  %19 = getelementptr i64, ptr %members, i64 0
  store i64 %18, ptr %19, align 8
  ret void
}

; Function Attrs: nounwind
define internal void @pc_segments2(ptr %profile, ptr %event, ptr %locals, i64 %now, ptr %members) #4 {
entry:
  ret void
}

attributes #0 = { nounwind willreturn memory(none) }
attributes #1 = { nounwind willreturn memory(argmem: read) }
attributes #2 = { nounwind willreturn memory(argmem: read, inaccessiblemem: readwrite) }
attributes #3 = { nounwind willreturn memory(read) }
attributes #4 = { nounwind }
attributes #5 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }
